"""Fingerprints for check-sync (pure): order-independent hashes of intended and actual state."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any, NamedTuple

from lxml import etree

from intent.planner import Intended


def canonical(node: etree._Element) -> str:
    """A text form of `node` that ignores sibling order, whitespace and namespace prefixes."""
    children = sorted(canonical(c) for c in node if isinstance(c.tag, str))
    text = (node.text or "").strip() if not children else ""
    return f"<{node.tag}>{text}{''.join(children)}</>"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def actual_fingerprint(have: etree._Element | dict[str, Any]) -> str:
    """Hash of what the device returned for a resource's read-back (NETCONF `<data>` or gNMI paths)."""
    if isinstance(have, dict):
        return _digest(json.dumps(have, sort_keys=True))
    return _digest(canonical(have))


def intended_fingerprint(want: Intended) -> str:
    """Hash of the rendered intent: a PATCHed characteristic changes it, so check-sync notices."""
    if want.protocol == "gnmi":
        return _digest(want.document or "")
    return _digest(canonical(want.payload) + canonical(want.filter))


class PartPrint(NamedTuple):
    """A part found as intended: its role and its (intended, actual) fingerprints."""

    role: str
    intended: str
    actual: str


def part_prints(
    owners: Sequence[tuple[str, int]], intended: Sequence[Intended], actual: Sequence[Any]
) -> dict[tuple[str, int], PartPrint]:
    """(item id, role index) -> the fingerprints of each part read back after a passed check, so
    that the next check-sync needs no compare and no second read."""
    return {
        owner: PartPrint(want.role, intended_fingerprint(want), actual_fingerprint(have))
        for owner, want, have in zip(owners, intended, actual, strict=True)
        if not isinstance(have, str)
    }
