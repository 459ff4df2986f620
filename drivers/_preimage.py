"""Pure helpers on configuration trees: restore running from a saved pre-image (devices without
a candidate), the dry-run diff of two datastores, and the filter that reads only what payloads touch."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from lxml import etree

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
_OPERATION = f"{{{NC}}}operation"


def _top_tags(data: etree._Element) -> list[str]:
    return [child.tag for child in data if isinstance(child.tag, str)]


def build_restore(pre_image: etree._Element, current: etree._Element) -> str:
    """The `<config>` that turns `current` running back into `pre_image` (both `<data>` elements).

    Every top-level node of the pre-image is put back with `operation="replace"`; top-level nodes
    that exist now but did not before are removed. (Top-level *lists* whose entries were added
    keep the new entries: the tag is present in both; no YANG module ROM targets has one.)
    """
    config = etree.Element(f"{{{NC}}}config", nsmap={"nc": NC})
    before = set(_top_tags(pre_image))
    for child in pre_image:
        if not isinstance(child.tag, str):
            continue
        copy = etree.fromstring(etree.tostring(child))
        copy.set(_OPERATION, "replace")
        config.append(copy)
    seen: set[str] = set()
    for tag in _top_tags(current):
        if tag in before or tag in seen:
            continue
        seen.add(tag)
        gone = etree.SubElement(config, tag, nsmap={None: etree.QName(tag).namespace})
        gone.set(_OPERATION, "remove")
    return etree.tostring(config, encoding="unicode")


def canonical_lines(data: etree._Element) -> list[str]:
    """A tree as stable, pretty-printed text: whitespace-only text dropped, namespaces as sent."""
    parser = etree.XMLParser(remove_blank_text=True)
    clean = etree.fromstring(etree.tostring(data, method="c14n"), parser)
    text: str = etree.tostring(clean, pretty_print=True, encoding="unicode")
    return text.splitlines(keepends=True)


def xml_diff(before: etree._Element, after: etree._Element) -> str:
    """Unified diff (`running` -> `candidate`) of the canonical text of two `<data>` trees."""
    lines = difflib.unified_diff(canonical_lines(before), canonical_lines(after), "running", "candidate")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def list_keys(filters: Iterable[str]) -> dict[tuple[str, str], list[str]]:
    """(top-level node, list entry under it) -> its key leaves, as subtree filters name them: the
    content-match leaves of each filter's second-level nodes (a resource's read-back filter names
    its list entries by their keys). A list named with two different keys is left out."""
    keys: dict[tuple[str, str], list[str]] = {}
    clashes: set[tuple[str, str]] = set()
    for text in filters:
        for top in _elements(etree.fromstring(text.encode())):
            for entry in _elements(top):
                named = [leaf.tag for leaf in _elements(entry) if _is_leaf(leaf) and _leaf_text(leaf)]
                if not named:
                    continue
                if keys.setdefault((top.tag, entry.tag), named) != named:
                    clashes.add((top.tag, entry.tag))
    return {where: named for where, named in keys.items() if where not in clashes}


def touched_filter(payloads: list[str], key_filters: Iterable[str] = ()) -> str | None:
    """A subtree `<filter>` selecting what the `<config>` payloads can change (None: the whole
    datastore, e.g. for a payload that is not XML).

    Each top-level node the payloads edit is selected whole, or, when every child the payloads
    give it is a list entry whose keys `key_filters` name (see `list_keys`) and that carries them,
    as just those entries, each whole (RFC 6241 section 6: key leaves as content-match nodes): an
    edit of entries changes nothing outside them, whatever its operations below the entry."""
    keys = list_keys(key_filters)
    roots: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], None] | None] = {}
    for payload in payloads:
        try:
            config = etree.fromstring(payload.encode())
        except etree.XMLSyntaxError:
            return None
        for top in _elements(config):
            entries = _keyed_entries(top, keys)
            if entries is None or roots.get(top.tag, {}) is None:
                roots[top.tag] = None
            else:
                roots.setdefault(top.tag, {}).update(dict.fromkeys(entries))  # type: ignore[union-attr]
    if not roots:
        return None
    selection = etree.Element(f"{{{NC}}}filter", nsmap={None: NC}, type="subtree")
    for tag, picked in roots.items():
        node = etree.SubElement(selection, tag, nsmap={None: etree.QName(tag).namespace})
        for entry_tag, key_values in picked or ():
            entry = etree.SubElement(node, entry_tag)
            for key, value in key_values:
                etree.SubElement(entry, key).text = value
    return etree.tostring(selection, encoding="unicode")


def _keyed_entries(
    top: etree._Element, keys: dict[tuple[str, str], list[str]]
) -> list[tuple[str, tuple[tuple[str, str], ...]]] | None:
    """The list entries (tag, key values) a top-level node of a payload edits, or None: the
    node is to be read whole (an operation on it, no children, or a child not a keyed entry)."""
    children = _elements(top)
    if _OPERATION in top.attrib or not children:
        return None
    out = []
    for entry in children:
        named = keys.get((top.tag, entry.tag))
        if named is None:
            return None
        values = []
        for key in named:
            leaf = entry.find(key)
            if leaf is None or not _is_leaf(leaf) or _OPERATION in leaf.attrib or not _leaf_text(leaf):
                return None
            values.append((key, _leaf_text(leaf)))
        out.append((entry.tag, tuple(values)))
    return out


def _elements(node: etree._Element) -> list[etree._Element]:
    return [child for child in node if isinstance(child.tag, str)]


def _is_leaf(node: etree._Element) -> bool:
    return not _elements(node)


def _leaf_text(node: etree._Element) -> str:
    return (node.text or "").strip()
