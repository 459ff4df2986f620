"""Compare what resources' devices hold with their intent (pure; `drivers.config_reads` reads).

The executor's read-back post-check and reconciliation both need this for gNMI resources too:
NETCONF/NAPALM intents are read with their subtree filter and compared by `intent.tree`;
gNMI intents are read (Get CONFIG) at the paths their document sets or deletes and compared
leaf by leaf (`drivers.gnmi_payload.missing_or_changed`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from lxml import etree

from drivers.config_reads import Actual
from drivers.gnmi_payload import bare_name, missing_or_changed, parse_document
from intent.planner import Intended
from intent.tree import Difference, compare, entries, widen


def differences(want: Intended, have: etree._Element | dict[str, Any]) -> list[Difference]:
    """What differs between an intent and what its device holds (pure)."""
    if want.protocol != "gnmi":
        assert isinstance(have, etree._Element)
        return compare(want.payload, have, want.filter)
    assert want.document is not None and isinstance(have, dict)
    found: list[Difference] = []
    for change in parse_document(want.document).changes:
        actual = have.get(change.text)
        if change.op == "delete":
            if actual is not None:
                found.append(Difference("unexpected", change.text, None, json.dumps(actual)[:200]))
            continue
        if actual is None:  # the whole subtree is gone (e.g. a deleted policy): one row
            found.append(Difference("missing", change.text, None, None))
            continue
        for kind, sub in missing_or_changed(change.value, actual):
            if kind == "missing":
                found.append(Difference("missing", change.text + sub, None, None))
            else:
                wanted, held = _value_at(change.value, sub), _value_at(actual, sub)
                found.append(Difference("changed", change.text + sub, leaf_text(wanted), leaf_text(held)))
    return sorted(found, key=lambda d: d.path)


def leaf_text(value: Any) -> str:
    """A gNMI JSON scalar as text, as NETCONF would write it (`true`, `42`, `65000:1`)."""
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _value_at(value: Any, sub: str) -> Any:
    """The member at `sub` (`/a/b`, bare names, as `missing_or_changed` reports a changed leaf)."""
    for name in filter(None, sub.split("/")):
        members = {bare_name(k): v for k, v in value.items()} if isinstance(value, dict) else {}
        value = members.get(name)
    return value


def after_commit_problems(
    intended: Sequence[Intended],
    actual: Sequence[Actual],
    neighbours: Callable[[], Sequence[Intended]] | None = None,
) -> list[str]:
    """What the read-back `actual` shows wrong against `intended` (empty: all as intended).

    `neighbours`: the other intents on these devices (asked for only when something unexpected
    shows up): an entry shared with them, e.g. a VRF two endpoints use, is then expected to hold
    their parts too."""
    found = _compare_all(intended, actual)
    if neighbours is not None and any(d.kind == "unexpected" for diffs in found for d in diffs):
        found = _compare_all(shared_view(intended, neighbours()), actual)
    problems = []
    for want, have, diffs in zip(intended, actual, found, strict=True):
        if isinstance(have, str):
            problems.append(f"{want.device}: read-back failed: {have}")
        problems.extend(f"{want.device}: {d.kind} {d.path} after commit" for d in diffs)
    return problems


def _compare_all(intended: Sequence[Intended], actual: Sequence[Actual]) -> list[list[Difference]]:
    return [[] if isinstance(h, str) else differences(w, h) for w, h in zip(intended, actual, strict=True)]


def shared_view(intended: Sequence[Intended], others: Sequence[Intended]) -> list[Intended]:
    """Each NETCONF intent with its list entries widened by what the device's other intents put
    in the same entries (pure)."""
    xml = [w for w in [*intended, *others] if w.protocol != "gnmi"]
    rendered = [(w, entries(w.payload, w.filter)) for w in xml]
    out = []
    for want in intended:
        if want.protocol == "gnmi":
            out.append(want)
            continue
        neighbours: dict[str, list[etree._Element]] = {}
        for other, parts in rendered:
            if other is not want and other.device == want.device:
                for label, entry in parts.items():
                    neighbours.setdefault(label, []).append(entry)
        out.append(replace(want, payload=widen(want.payload, want.filter, neighbours)))
    return out
