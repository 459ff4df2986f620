from __future__ import annotations

import os
from pathlib import Path

import pytest
from lxml import etree

from core.errors import RomError
from intent.catalog import Catalog
from intent.render import render_resource, render_text

GOLDEN = Path(__file__).parent / "golden"


def _canonical(el: etree._Element) -> str:
    return etree.tostring(el, pretty_print=True, encoding="unicode")


def test_l3vpn_payload_matches_golden(l3vpn_values: dict[str, object]) -> None:
    catalog = Catalog.load()
    payload, filter_ = render_resource(
        catalog.root, catalog.get("l3vpn-endpoint"), "rom-router", l3vpn_values
    )
    for name, el in (
        ("l3vpn-endpoint.rom-router.xml", payload),
        ("l3vpn-endpoint.rom-router.filter.xml", filter_),
    ):
        golden = GOLDEN / name
        if os.environ.get("ROM_UPDATE_GOLDEN"):
            golden.write_text(_canonical(el))
        assert _canonical(el) == golden.read_text(), f"{name} differs from its golden file"


def test_xml_values_are_escaped(l3vpn_values: dict[str, object]) -> None:
    catalog = Catalog.load()
    payload, _ = render_resource(catalog.root, catalog.get("l3vpn-endpoint"), "rom-router", l3vpn_values)
    texts = [el.text for el in payload.iter("{http://openconfig.net/yang/interfaces}description")]
    assert texts == ["customer A <site 1> & co"]


def test_undefined_variable_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "t.xml.j2").write_text("<a>{{ missing }}</a>")
    with pytest.raises(RomError, match="missing"):
        render_text(tmp_path, "t.xml.j2", {})


def test_sandbox_blocks_attribute_escape(tmp_path: Path) -> None:
    (tmp_path / "evil.xml.j2").write_text("<a>{{ ''.__class__.__mro__ }}</a>")
    with pytest.raises(RomError):
        render_text(tmp_path, "evil.xml.j2", {})
