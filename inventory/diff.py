"""Compare intended configuration with what a device holds (pure, napalm `compare()` style).

Intended is a `<config>` tree, actual the `<data>` reply to the resource's subtree filter.
List entries are matched by the filter's content-match leaves (its keys) and, below the
filter, by the first leaf child, which YANG's XML encoding puts first for a list key.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from lxml import etree

# "out-of-sync" and "unknown" come from a fingerprint-only check-sync (see inventory.reconcile).
DriftKind = Literal["missing", "changed", "unexpected", "unreachable", "out-of-sync", "unknown"]


@dataclass(frozen=True)
class Difference:
    kind: DriftKind
    path: str
    intended: str | None
    actual: str | None


def compare(
    intended: etree._Element, actual: etree._Element, filter_: etree._Element | None
) -> list[Difference]:
    """Every difference between the children of `intended` and those of `actual`."""
    found = list(_compare_children(intended, actual, filter_, ""))
    return sorted(found, key=lambda d: d.path)


def _compare_children(
    want: etree._Element, have: etree._Element, flt: etree._Element | None, path: str
) -> Iterator[Difference]:
    have_children = _elements(have)
    used: set[int] = set()
    for child in _elements(want):
        sub_filter = _filter_child(flt, child)
        keys = _filter_keys(sub_filter)
        candidates = [i for i, c in enumerate(have_children) if c.tag == child.tag and i not in used]
        index, keys = _pick(child, [have_children[i] for i in candidates], keys)
        label = path + "/" + _label(child, keys)
        if index is None:
            if not keys and not _is_leaf(child):  # an absent container: name what is missing in it
                yield from _compare_children(child, etree.Element(child.tag), sub_filter, label)
            else:
                yield Difference("missing", label, _summary(child), None)
            continue
        used.add(candidates[index])
        match = have_children[candidates[index]]
        if _is_leaf(child):
            if _text(child) != _text(match):
                yield Difference("changed", label, _text(child), _text(match))
        else:
            yield from _compare_children(child, match, sub_filter, label)
    for i, extra in enumerate(have_children):
        if i not in used:
            yield Difference(
                "unexpected", path + "/" + _label(extra, _first_leaf(extra)), None, _summary(extra)
            )


def _pick(
    want: etree._Element, candidates: list[etree._Element], keys: list[str]
) -> tuple[int | None, list[str]]:
    """Index of the candidate matching `want`, and the key leaves used to match it."""
    if not keys and (len(candidates) <= 1 or _is_leaf(want) or not _first_leaf(want)):
        return (0 if candidates else None), []
    keys = keys or _first_leaf(want)
    wanted = {k: _child_text(want, k) for k in keys}
    for i, cand in enumerate(candidates):
        if all(_child_text(cand, k) == v for k, v in wanted.items()):
            return i, keys
    return None, keys


def _first_leaf(node: etree._Element) -> list[str]:
    """A list entry's key as YANG encodes it first: the first child, if it is a leaf."""
    first = next(iter(_elements(node)), None)
    return [str(first.tag)] if first is not None and _is_leaf(first) and _text(first) else []


def _filter_child(flt: etree._Element | None, child: etree._Element) -> etree._Element | None:
    if flt is None:
        return None
    for node in _elements(flt):
        if node.tag == child.tag and all(_child_text(child, k) == _text(v) for k, v in _keyed(node)):
            return node
    return None


def _filter_keys(flt: etree._Element | None) -> list[str]:
    return [] if flt is None else [str(k) for k, _ in _keyed(flt)]


def _keyed(node: etree._Element) -> list[tuple[str, etree._Element]]:
    """Content-match nodes of a filter node: leaf children with a value."""
    return [(str(c.tag), c) for c in _elements(node) if _is_leaf(c) and _text(c)]


def _elements(node: etree._Element) -> list[etree._Element]:
    return [c for c in node if isinstance(c.tag, str)]


def _is_leaf(node: etree._Element) -> bool:
    return not _elements(node)


def _text(node: etree._Element) -> str:
    return (node.text or "").strip()


def _child_text(node: etree._Element, tag: str) -> str | None:
    found = node.find(tag)
    return None if found is None else _text(found)


def _label(node: etree._Element, keys: list[str]) -> str:
    name = etree.QName(node).localname
    preds = "".join(f"[{etree.QName(k).localname}={_child_text(node, k)}]" for k in keys)
    return name + preds


def _summary(node: etree._Element) -> str:
    if _is_leaf(node):
        return _text(node)
    return f"<{etree.QName(node).localname}> ({sum(1 for _ in node.iter()) - 1} nodes)"
