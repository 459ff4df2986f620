from __future__ import annotations

import copy

from lxml import etree

from intent.catalog import Catalog
from intent.render import render_resource
from intent.tree import compare

OC_IF = "{http://openconfig.net/yang/interfaces}"
OC_NI = "{http://openconfig.net/yang/network-instance}"


def _intended(values: dict[str, object]) -> tuple[etree._Element, etree._Element]:
    catalog = Catalog.load()
    return render_resource(catalog.root, catalog.get("l3vpn-endpoint"), "rom-router", values)


def _as_data(config: etree._Element) -> etree._Element:
    data = etree.Element("{urn:ietf:params:xml:ns:netconf:base:1.0}data")
    for child in config:
        data.append(copy.deepcopy(child))
    return data


def test_identical_is_in_sync(l3vpn_values: dict[str, object]) -> None:
    payload, flt = _intended(l3vpn_values)
    assert compare(payload, _as_data(payload), flt) == []


def test_changed_leaf_names_path_and_values(l3vpn_values: dict[str, object]) -> None:
    payload, flt = _intended(l3vpn_values)
    actual = _as_data(payload)
    next(actual.iter(f"{OC_NI}route-distinguisher")).text = "65000:999"
    [diff] = compare(payload, actual, flt)
    assert diff.kind == "changed"
    assert diff.path == "/network-instances/network-instance[name=CUST-A]/config/route-distinguisher"
    assert (diff.intended, diff.actual) == ("65000:100", "65000:999")


def test_deleted_vrf_is_missing(l3vpn_values: dict[str, object]) -> None:
    payload, flt = _intended(l3vpn_values)
    actual = _as_data(payload)
    nis = next(actual.iter(f"{OC_NI}network-instances"))
    nis.remove(next(nis.iter(f"{OC_NI}network-instance")))
    [diff] = compare(payload, actual, flt)
    assert (diff.kind, diff.path) == ("missing", "/network-instances/network-instance[name=CUST-A]")


def test_other_list_entry_with_same_tag_is_not_a_match(l3vpn_values: dict[str, object]) -> None:
    payload, flt = _intended(l3vpn_values)
    actual = _as_data(payload)
    next(actual.iter(f"{OC_NI}name")).text = "CUST-B"
    kinds = sorted(d.kind for d in compare(payload, actual, flt))
    assert kinds == ["missing", "unexpected"]


def test_extra_leaf_is_unexpected(l3vpn_values: dict[str, object]) -> None:
    payload, flt = _intended(l3vpn_values)
    actual = _as_data(payload)
    config = next(actual.iter(f"{OC_IF}subinterface")).find(f"{OC_IF}config")
    assert config is not None
    etree.SubElement(config, f"{OC_IF}enabled").text = "false"
    [diff] = compare(payload, actual, flt)
    assert diff.kind == "unexpected"
    assert diff.path.endswith("/subinterface[index=100]/config/enabled")
    assert diff.actual == "false"


def test_second_subinterface_matched_by_key(l3vpn_values: dict[str, object]) -> None:
    payload, flt = _intended(l3vpn_values)
    other, _ = _intended({**l3vpn_values, "vlanId": 200})
    actual = _as_data(payload)
    subifs = next(actual.iter(f"{OC_IF}subinterfaces"))
    subifs.insert(0, copy.deepcopy(next(other.iter(f"{OC_IF}subinterface"))))
    diffs = compare(payload, actual, flt)
    assert [(d.kind, d.path) for d in diffs] == [
        ("unexpected", "/interfaces/interface[name=Ethernet1]/subinterfaces/subinterface[index=200]")
    ]
