"""RFC 6241 §6 subtree filtering over the router model's data."""

from __future__ import annotations

from lxml import etree

from sims.models.router import IF, NI, SYS, initial_config
from sims.subtree import filter_tree

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"


def _filter(body: str) -> etree._Element:
    return etree.fromstring(f'<filter xmlns="{NC}" type="subtree">{body}</filter>')


def _names(data: etree._Element) -> list[str]:
    return [node.text or "" for node in data.iterfind(f"{{{IF}}}interfaces/{{{IF}}}interface/{{{IF}}}name")]


DATA = initial_config("pe1")


def test_no_filter_returns_everything_and_copies() -> None:
    out = filter_tree(DATA, None)
    assert etree.tostring(out) == etree.tostring(DATA)
    assert out is not DATA


def test_empty_filter_selects_nothing() -> None:
    assert len(filter_tree(DATA, _filter(""))) == 0


def test_selection_node_returns_subtree_only() -> None:
    out = filter_tree(DATA, _filter(f'<system xmlns="{SYS}"/>'))
    assert [etree.QName(child).localname for child in out] == ["system"]
    assert out.findtext(f"{{{SYS}}}system/{{{SYS}}}config/{{{SYS}}}hostname") == "pe1"


def test_content_match_selects_list_entry_by_key() -> None:
    out = filter_tree(
        DATA, _filter(f'<interfaces xmlns="{IF}"><interface><name>Ethernet3</name></interface></interfaces>')
    )
    assert _names(out) == ["Ethernet3"]
    entry = out.find(f"{{{IF}}}interfaces/{{{IF}}}interface")
    assert entry is not None and entry.find(f"{{{IF}}}config/{{{IF}}}enabled") is not None


def test_content_match_plus_selection_returns_key_and_selected() -> None:
    body = (
        f'<interfaces xmlns="{IF}"><interface><name>Ethernet1</name><config><enabled/></config></interface>'
    )
    body += "</interfaces>"
    entry = filter_tree(DATA, _filter(body)).find(f"{{{IF}}}interfaces/{{{IF}}}interface")
    assert entry is not None
    assert [etree.QName(child).localname for child in entry] == ["name", "config"]
    config = entry.find(f"{{{IF}}}config")
    assert config is not None and [etree.QName(child).localname for child in config] == ["enabled"]


def test_no_match_returns_nothing() -> None:
    out = filter_tree(
        DATA, _filter(f'<interfaces xmlns="{IF}"><interface><name>Nope9</name></interface></interfaces>')
    )
    assert len(out) == 0


def test_namespace_must_match() -> None:
    out = filter_tree(DATA, _filter('<interfaces xmlns="urn:other"/>'))
    assert len(out) == 0


def test_filter_without_namespace_matches_any() -> None:
    out = filter_tree(DATA, etree.fromstring("<filter><network-instances/></filter>"))
    assert out.find(f"{{{NI}}}network-instances") is not None


def test_two_entries_selected_by_sibling_filters() -> None:
    body = (
        f'<interfaces xmlns="{IF}"><interface><name>Ethernet2</name></interface>'
        "<interface><name>Ethernet4</name></interface></interfaces>"
    )
    assert _names(filter_tree(DATA, _filter(body))) == ["Ethernet2", "Ethernet4"]


def test_content_match_on_non_key_leaf() -> None:
    body = f'<interfaces xmlns="{IF}"><interface><config><enabled>false</enabled></config></interface>'
    body += "</interfaces>"
    assert len(filter_tree(DATA, _filter(body))) == 0
