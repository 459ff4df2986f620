"""Rendered payloads as instance data: a gNMI Set document as the RFC 7951 tree it writes, a
NETCONF `<config>` as an xml.etree tree yangson reads (operations stripped)."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from typing import Any

from lxml import etree

from drivers.gnmi_payload import parse_document

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"


def _entry(entries: list[dict[str, Any]], keys: dict[str, str]) -> dict[str, Any]:
    for entry in entries:
        if all(str(entry.get(k)) == v for k, v in keys.items()):
            return entry
    entries.append(dict(keys))
    return entries[-1]


def _merge(into: dict[str, Any], value: dict[str, Any]) -> None:
    for name, sub in value.items():
        if isinstance(sub, dict) and isinstance(into.get(name), dict):
            _merge(into[name], sub)
        elif isinstance(sub, list) and isinstance(into.get(name), list):
            into[name].extend(item for item in sub if item not in into[name])
        else:
            into[name] = copy.deepcopy(sub)


def gnmi_tree(document: str) -> dict[str, Any]:
    """The RFC 7951 tree a gNMI Set document writes on an empty device (deletes ignored).

    List entries named by a path are created with the path's keys (as text); the value's own
    (typed) keys win where the value holds them."""
    tree: dict[str, Any] = {}
    for change in parse_document(document).changes:
        if change.op == "delete":
            continue
        node = tree
        elems = list(change.path.elem)
        for i, elem in enumerate(elems):
            if elem.key:
                node = _entry(node.setdefault(elem.name, []), dict(elem.key))
            elif i == len(elems) - 1 and not isinstance(change.value, dict):
                node[elem.name] = change.value
                break
            else:
                node = node.setdefault(elem.name, {})
        else:
            if elems and elems[-1].key and isinstance(change.value, dict):
                for key in elems[-1].key:
                    if key in change.value:
                        node.pop(key, None)
            _merge(node, change.value)
    return tree


def netconf_fragment(config: etree._Element) -> list[etree._Element]:
    """The children of an edit-config `<config>`, NETCONF operation attributes removed."""
    out = []
    for child in config:
        if not isinstance(child.tag, str):
            continue
        element = copy.deepcopy(child)
        for node in element.iter():
            for attribute in [a for a in node.attrib if etree.QName(a).namespace == NC]:
                del node.attrib[attribute]
        out.append(element)
    return out


def to_etree(config: etree._Element) -> ET.Element:
    """A `<config>` as an xml.etree tree for yangson: Clark tags, and on a leaf whose text is a
    prefixed identity the prefix's declaration as a plain `xmlns:PREFIX` attribute (what yangson's
    identityref parser looks up; xml.etree drops namespace declarations)."""

    def convert(node: etree._Element) -> ET.Element:
        out = ET.Element(str(node.tag))
        children = [c for c in node if isinstance(c.tag, str)]
        if not children:
            text = (node.text or "").strip()
            out.text = text
            prefix, sep, _ = text.partition(":")
            if sep and prefix in node.nsmap and node.nsmap[prefix]:
                out.attrib[f"xmlns:{prefix}"] = str(node.nsmap[prefix])
        for child in children:
            out.append(convert(child))
        return out

    root = ET.Element("config")
    for child in netconf_fragment(config):
        root.append(convert(child))
    return root
