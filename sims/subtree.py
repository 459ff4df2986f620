"""RFC 6241 §6 subtree filtering of an lxml data tree.

A filter element with no namespace matches elements of any namespace with the same local name.
Filter nodes are containment nodes (child elements), content match nodes (a leaf with text) or
selection nodes (an empty leaf). Results are fresh copies; the input tree is not touched.
"""

from __future__ import annotations

import copy

from lxml import etree


def _children(node: etree._Element) -> list[etree._Element]:
    return [child for child in node if isinstance(child.tag, str)]


def _text(node: etree._Element) -> str:
    return (node.text or "").strip()


def _matches(data: etree._Element, filt: etree._Element) -> bool:
    if filt.tag == data.tag:
        return True
    return not str(filt.tag).startswith("{") and etree.QName(data).localname == filt.tag


def _is_content_match(filt: etree._Element) -> bool:
    return not _children(filt) and bool(_text(filt))


def _shallow(node: etree._Element) -> etree._Element:
    return etree.Element(node.tag, attrib=dict(node.attrib), nsmap=node.nsmap)


def filter_tree(data: etree._Element, filt: etree._Element | None) -> etree._Element:
    """Apply the children of ``filt`` (a ``<filter>`` element) to the children of ``data``.

    Returns a new element with ``data``'s tag; ``None`` selects everything, an empty filter nothing.
    """
    if filt is None:
        return copy.deepcopy(data)
    result = _select(data, filt)
    out = _shallow(data)
    if result is not None:
        for child in list(result):
            out.append(child)
    return out


def _select(data: etree._Element, filt: etree._Element) -> etree._Element | None:
    """Match one data node against a containment filter node."""
    filters = _children(filt)
    if not filters:
        return None
    content = [node for node in filters if _is_content_match(node)]
    for match in content:
        if not any(_matches(child, match) and _text(child) == _text(match) for child in _children(data)):
            return None
    if len(content) == len(filters):
        return copy.deepcopy(data)
    out = _shallow(data)
    for child in _children(data):
        parts: list[etree._Element] = []
        for node in filters:
            if not _matches(child, node):
                continue
            if node in content:
                if _text(child) == _text(node):
                    parts.append(copy.deepcopy(child))
            elif not _children(node):
                parts.append(copy.deepcopy(child))
            else:
                selected = _select(child, node)
                if selected is not None:
                    parts.append(selected)
        merged = _merge(parts)
        if merged is not None:
            out.append(merged)
    if not _children(out) and not content:
        return None
    return out


def _merge(parts: list[etree._Element]) -> etree._Element | None:
    """Union of several selections of the same data node."""
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    out = parts[0]
    seen = {etree.tostring(child) for child in out}
    for part in parts[1:]:
        for child in list(part):
            key = etree.tostring(child)
            if key not in seen:
                seen.add(key)
                out.append(child)
    return out
