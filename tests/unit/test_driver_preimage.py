"""build_restore: the edit that turns running back into the saved pre-image (golden)."""

from __future__ import annotations

from lxml import etree

from drivers._preimage import build_restore

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"


def _data(inner: str) -> etree._Element:
    return etree.fromstring(f'<data xmlns="{NC}">{inner}</data>'.encode())


def test_pre_image_nodes_are_replaced_and_new_top_level_nodes_removed() -> None:
    pre = _data(
        '<interfaces xmlns="urn:if"><interface><name>a</name></interface></interfaces><nacm xmlns="urn:acm"/>'
    )
    now = _data(
        '<interfaces xmlns="urn:if"><interface><name>a</name></interface>'
        "<interface><name>b</name></interface>"
        '</interfaces><nacm xmlns="urn:acm"/><system xmlns="urn:sys"><x/></system>'
    )
    assert build_restore(pre, now) == (
        f'<nc:config xmlns:nc="{NC}">'
        '<interfaces xmlns="urn:if" nc:operation="replace"><interface><name>a</name></interface>'
        "</interfaces>"
        '<nacm xmlns="urn:acm" nc:operation="replace"/>'
        '<system xmlns="urn:sys" nc:operation="remove"/>'
        "</nc:config>"
    )


def test_empty_pre_image_removes_everything_present() -> None:
    out = etree.fromstring(build_restore(_data(""), _data('<a xmlns="urn:a"/><a xmlns="urn:a"/>')).encode())
    assert [(c.tag, c.get(f"{{{NC}}}operation")) for c in out] == [("{urn:a}a", "remove")]
