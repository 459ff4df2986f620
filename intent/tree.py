"""XML tree algebra on NETCONF data (pure): compare an intended tree with a device's, and the
edits that remediation and order rewrites send.

`compare` is napalm's `compare()`: intended is a `<config>` tree, actual the `<data>` reply to
the resource's subtree filter. List entries are matched by the filter's content-match leaves
(its keys) and, below the filter, by the first leaf child, which YANG's XML encoding puts first
for a list key.

`mark_replace` turns an intended `<config>` into an edit that merges down to the resource's own
list entries (the filter's innermost keyed nodes, e.g. one subinterface, one VRF) and replaces
those, so unexpected leaves inside them go too. An entry several resources of the device share
(two endpoints of one VRF) stays a merge: replacing it with one resource's part would drop the
others'. `apply_edit` is the NETCONF merge/replace/delete semantics on a plain tree, used to show
(property tests) that remediation converges.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from lxml import etree

# "out-of-sync" and "unknown" come from a fingerprint-only check-sync (see drift.reconcile).
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
    return [c for c in node if isinstance(c.tag, str)] if len(node) else []  # a leaf: no iterator


def _is_leaf(node: etree._Element) -> bool:
    return not _elements(node)


def _text(node: etree._Element) -> str:
    return (node.text or "").strip()


def _child_text(node: etree._Element, tag: str) -> str | None:
    found = node.find(tag)
    return None if found is None else _text(found)


def _label(node: etree._Element, keys: list[str]) -> str:
    preds = "".join(f"[{_localname(k)}={_child_text(node, k)}]" for k in keys)
    return _localname(node.tag) + preds


def _localname(tag: str) -> str:
    """A Clark-notation tag's local name ("{ns}name" -> "name"), as `etree.QName(tag).localname`."""
    return tag.rpartition("}")[2]


def _summary(node: etree._Element) -> str:
    if _is_leaf(node):
        return _text(node)
    return f"<{etree.QName(node).localname}> ({sum(1 for _ in node.iter()) - 1} nodes)"


NC_OPERATION = "{urn:ietf:params:xml:ns:netconf:base:1.0}operation"


def _is_entry(flt: etree._Element | None) -> bool:
    """A filter node selecting one whole list entry: only key content-match leaves below it."""
    return flt is not None and bool(_keyed(flt)) and all(_is_leaf(c) and _text(c) for c in _elements(flt))


def _own_entries(
    payload: etree._Element, flt: etree._Element
) -> list[tuple[etree._Element, etree._Element, str, list[str]]]:
    """(parent, entry, path, key tags) of each list entry a resource owns: the filter's innermost
    keyed nodes (e.g. one subinterface, one VRF). Listed before any caller changes the tree."""
    out: list[tuple[etree._Element, etree._Element, str, list[str]]] = []

    def walk(node: etree._Element, sub_filter: etree._Element | None, path: str) -> None:
        for child in _elements(node):
            sub = _filter_child(sub_filter, child)
            if sub is None:
                continue
            keys = _filter_keys(sub)
            label = path + "/" + _label(child, keys)
            if _is_entry(sub):
                out.append((node, child, label, keys))
            else:
                walk(child, sub, label)

    walk(payload, flt, "")
    return out


def entries(payload: etree._Element, flt: etree._Element) -> dict[str, etree._Element]:
    """The list entries a resource owns (where `mark_replace` puts replace), by path."""
    return {label: entry for _, entry, label, _ in _own_entries(payload, flt)}


def leaf_values(payload: etree._Element, flt: etree._Element | None) -> dict[str, str]:
    """path -> value of every leaf the tree sets (parts marked delete/remove left out). List
    entries are labelled by the filter's content-match keys where the filter reaches, below it by
    their first leaf (YANG encodes keys first), as `compare` matches them."""
    out: dict[str, str] = {}

    def walk(children: list[etree._Element], sub_filter: etree._Element | None, path: str) -> None:
        for child in children:
            if child.get(NC_OPERATION) in ("delete", "remove"):
                continue
            below = _elements(child)  # once per node: this runs for every order at intake
            if not below:
                out[path + "/" + _localname(child.tag)] = _text(child)
                continue
            sub = _filter_child(sub_filter, child)
            keys = _filter_keys(sub) if sub is not None else _first_leaf(child)
            walk(below, sub, path + "/" + _label(child, keys))

    walk(_elements(payload), flt, "")
    return out


def entry_labels(payload: etree._Element, flt: etree._Element) -> list[str]:
    """Paths of the list entries a resource owns."""
    return list(entries(payload, flt))


def mark_replace(
    payload: etree._Element, flt: etree._Element, shared: Collection[str] = ()
) -> etree._Element:
    """A copy of `payload` with operation="replace" on its own list entries (not on `shared` ones)."""
    out = copy.deepcopy(payload)
    for _, entry, label, _ in _own_entries(out, flt):
        if label not in shared:
            entry.set(NC_OPERATION, "replace")
    return out


def _identity(node: etree._Element) -> tuple[str, str | None]:
    """What makes two sibling nodes the same node: the tag and, for a list entry, its first leaf
    (YANG encodes keys first, RFC 7950 7.8.5)."""
    first = next(iter(_elements(node)), None)
    if first is None or not _is_leaf(first):
        return str(node.tag), None
    return str(node.tag), f"{first.tag}={_text(first)}"


def union(nodes: Sequence[etree._Element]) -> etree._Element:
    """One node holding everything `nodes` (the same node as several resources render it) hold;
    a later leaf value wins."""
    out = _strip(nodes[0])
    for node in nodes[1:]:
        for child in _elements(node):
            match = next((c for c in _elements(out) if _identity(c) == _identity(child)), None)
            if match is None:
                out.append(_strip(child))
            elif _is_leaf(child):
                match.text = child.text
            else:
                out.replace(match, union([match, child]))
    return out


def rewrite_entries(
    payload: etree._Element,
    flt: etree._Element,
    after: Mapping[str, Sequence[etree._Element]],
    done: set[str],
) -> etree._Element:
    """A copy of `payload` that turns each of its own entries into the device's after-state: replaced
    by the union of what `after` holds for it, or deleted (keys only) when nothing does. Entries in
    `done` were rewritten by an earlier payload and are dropped; the rest are added to `done`."""
    out = copy.deepcopy(payload)
    for parent, entry, label, keys in _own_entries(out, flt):
        if label in done:
            parent.remove(entry)
        elif after.get(label):
            replacement = union(after[label])
            replacement.set(NC_OPERATION, "replace")
            parent.replace(entry, replacement)
            done.add(label)
        else:
            for leaf in _elements(entry):
                if leaf.tag not in keys:
                    entry.remove(leaf)
            entry.set(NC_OPERATION, "delete")
            done.add(label)
    return out


def widen(
    payload: etree._Element, flt: etree._Element, neighbours: Mapping[str, Sequence[etree._Element]]
) -> etree._Element:
    """A copy of `payload` whose own entries also hold what `neighbours` (label -> that entry as
    other resources of the device render it) put in them: what a shared entry should read back as."""
    out = copy.deepcopy(payload)
    for parent, entry, label, _ in _own_entries(out, flt):
        if neighbours.get(label):
            parent.replace(entry, union([*neighbours[label], entry]))  # its own values win
    return out


def _strip(node: etree._Element) -> etree._Element:
    clean = copy.deepcopy(node)
    for element in clean.iter():
        element.attrib.pop(NC_OPERATION, None)
    return clean


def _match(parent: etree._Element, edit: etree._Element, flt: etree._Element | None) -> etree._Element | None:
    keys = _filter_keys(_filter_child(flt, edit))
    for candidate in _elements(parent):
        if candidate.tag == edit.tag and all(candidate.findtext(k) == edit.findtext(k) for k in keys):
            return candidate
    return None


def apply_edit(target: etree._Element, edit: etree._Element, flt: etree._Element | None) -> etree._Element:
    """`target` after an edit-config of `edit` (children of both are the top-level nodes); list
    entries are matched on the filter's keys, other nodes on their tag."""
    out = copy.deepcopy(target)

    def walk(parent: etree._Element, edit_parent: etree._Element, sub_filter: etree._Element | None) -> None:
        for node in _elements(edit_parent):
            operation = node.get(NC_OPERATION, "merge")
            match = _match(parent, node, sub_filter)
            if operation in ("delete", "remove"):
                if match is not None:
                    parent.remove(match)
            elif match is None:
                parent.append(_strip(node))
            elif operation == "replace":
                parent.replace(match, _strip(node))
            elif _is_leaf(node):
                match.text = node.text
            else:
                walk(match, node, _filter_child(sub_filter, node))

    walk(out, edit, flt)
    return out
