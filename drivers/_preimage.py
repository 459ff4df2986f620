"""Pure helpers on configuration trees: restore running from a saved pre-image (devices without
a candidate), the dry-run diff of two datastores, and the filter that reads only what payloads touch."""

from __future__ import annotations

import difflib

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


def touched_filter(payloads: list[str]) -> str | None:
    """A subtree `<filter>` selecting every top-level node the `<config>` payloads edit (None: the
    whole datastore, e.g. for a payload that is not XML)."""
    roots: dict[str, None] = {}
    for payload in payloads:
        try:
            config = etree.fromstring(payload.encode())
        except etree.XMLSyntaxError:
            return None
        roots.update((child.tag, None) for child in config if isinstance(child.tag, str))
    if not roots:
        return None
    selection = etree.Element(f"{{{NC}}}filter", nsmap={None: NC}, type="subtree")
    for tag in roots:
        etree.SubElement(selection, tag, nsmap={None: etree.QName(tag).namespace})
    return etree.tostring(selection, encoding="unicode")
