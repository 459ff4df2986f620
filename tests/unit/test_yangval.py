"""ROM's own YANG check of rendered payloads (yangval, yangson) against the upstream OpenConfig
modules: what the catalog renders passes, what breaks the device's YANG is a 422 naming the path."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from core.errors import Unprocessable
from core.tmf652 import ResourceOrderCreate
from intent.catalog import Catalog, validate_characteristics
from intent.planner import PlannedItem, RoleTarget, intended_for, plan_order
from intent.yang import shapes
from intent.yang.check import check_items, check_request, problems
from intent.yang.payload import gnmi_tree
from tests.conftest import L3VPN_VALUES
from tests.unit.test_render_catalog_specs import QOS
from tests.yanglint import REFERENCE

OPENCONFIG = [REFERENCE / "openconfig"]
PLATFORMS = {"pe1": "rom-router"}


def _item(catalog: Catalog, spec_id: str, values: dict[str, Any]) -> PlannedItem:
    spec = catalog.get(spec_id)
    checked = validate_characteristics(spec, values)
    [(role, rule)] = spec.roles.items()
    target = RoleTarget(role, checked[rule.device_characteristic], "rom-router")
    return PlannedItem("7", "add", spec, target.device, target.platform, checked, "x", (target,))


@pytest.mark.parametrize(("spec_id", "values"), [("transport-qos", QOS), ("l3vpn-endpoint", L3VPN_VALUES)])
def test_the_catalog_renders_valid_openconfig(spec_id: str, values: dict[str, Any]) -> None:
    catalog = Catalog.load()
    [want] = intended_for(catalog, _item(catalog, spec_id, dict(values)))
    assert problems(want, "rom-router", OPENCONFIG) == []
    check_items(catalog, [_item(catalog, spec_id, dict(values))], PLATFORMS, OPENCONFIG)


def test_a_route_distinguisher_the_catalog_accepts_but_openconfig_refuses_is_422() -> None:
    catalog = Catalog.load()
    item = _item(catalog, "l3vpn-endpoint", {**L3VPN_VALUES, "routeDistinguisher": "70000:70000"})
    with pytest.raises(
        Unprocessable, match=r"orderItem 7 role .*pe1 \(rom-router\) breaks its YANG: .*route-distinguisher"
    ):
        check_items(catalog, [item], PLATFORMS, OPENCONFIG)


def test_vlan_5000_from_a_template_without_the_bound_is_422(tmp_path: Path) -> None:
    """A spec whose author forgot the VLAN range: the device's YANG (vlan-id 1..4094) catches it."""
    root = tmp_path / "templates"
    shutil.copytree(Catalog.load().root / "l3vpn-endpoint", root / "l3vpn-endpoint")
    spec = root / "l3vpn-endpoint" / "spec.yaml"
    spec.write_text(spec.read_text().replace("    maximum: 4094\n", "    maximum: 9999\n"))
    catalog = Catalog.load(root)
    item = _item(catalog, "l3vpn-endpoint", {**L3VPN_VALUES, "vlanId": 5000})
    with pytest.raises(Unprocessable, match=r"vlan-id"):
        check_items(catalog, [item], PLATFORMS, OPENCONFIG)


def test_gnmi_unknown_leaf_is_refused() -> None:
    catalog = Catalog.load()
    [want] = intended_for(catalog, _item(catalog, "transport-qos", dict(QOS)))
    assert want.document is not None
    bad = want.document.replace('"bc"', '"burst"')
    found = problems(type(want)(**{**want.__dict__, "document": bad}), "rom-router", OPENCONFIG)
    assert found and "burst" in found[0], found


def test_platforms_without_modules_and_an_empty_path_are_not_checked() -> None:
    catalog = Catalog.load()
    [want] = intended_for(catalog, _item(catalog, "transport-qos", dict(QOS)))
    assert problems(want, "srlinux", OPENCONFIG) == []
    assert problems(want, "rom-router", []) == []


def test_gnmi_tree_merges_paths_into_one_rfc7951_tree() -> None:
    doc = (
        '{"update": [{"path": ["a:x", {"l": {"k": "1"}}], "value": {"k": 1, "v": "p"}}],'
        ' "replace": [{"path": ["a:x", {"l": {"k": "1"}}, "c"], "value": {"w": 2}}]}'
    )
    assert gnmi_tree(doc) == {"a:x": {"l": [{"k": 1, "v": "p", "c": {"w": 2}}]}}


BREAKERS = Path(__file__).resolve().parents[1] / "catalogs" / "yang-breakers"


@pytest.mark.parametrize(
    ("spec_id", "good", "bad", "reason"),
    [
        ("netconf-vlan", {"vlanId": 100}, {"vlanId": 5000}, r"vlan-id\} invalid-type: not in range"),
        ("gnmi-vlan", {"vlanId": 101}, {"vlanId": 5001}, r"vlan-id\} invalid-type: not in range"),
    ],
)
def test_a_payload_shaped_like_a_valid_one_is_still_checked_leaf_by_leaf(
    spec_id: str, good: dict[str, Any], bad: dict[str, Any], reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second payload of a shape takes the fast path (intent.yang.shapes): its leaves are
    checked by their types, and a value the first did not have is refused with yangson's words."""
    learnt: list[object] = []
    learn = shapes.learn
    monkeypatch.setattr(shapes, "_KNOWN", {})
    monkeypatch.setattr(shapes, "learn", lambda *args: learnt.append(args[1]) or learn(*args))
    catalog = Catalog.load(BREAKERS)
    values = {"device": "pe1", "interface": "Ethernet2", "vlanId": 100, "bandwidthMbps": 10}
    [first] = intended_for(catalog, _item(catalog, spec_id, {**values, **good}))
    assert problems(first, "rom-router", OPENCONFIG) == []
    [again] = intended_for(catalog, _item(catalog, spec_id, {**values, **good, "vlanId": 200}))
    assert problems(again, "rom-router", OPENCONFIG) == []
    assert len(learnt) == 1  # the first was validated in full, the second took the fast path
    [second] = intended_for(catalog, _item(catalog, spec_id, {**values, **bad}))
    [found] = problems(second, "rom-router", OPENCONFIG)
    assert re.search(reason, found), found


def test_a_union_leaf_is_checked_on_the_fast_path_too() -> None:
    """route-distinguisher is a union (ASN:nn of 2 or 4 bytes, IP:nn): a value no member parses
    is refused after a valid payload of the same shape."""
    catalog = Catalog.load()
    ok = _item(catalog, "l3vpn-endpoint", {**L3VPN_VALUES, "routeDistinguisher": "65000:7"})
    check_items(catalog, [ok], PLATFORMS, OPENCONFIG)
    bad = _item(catalog, "l3vpn-endpoint", {**L3VPN_VALUES, "routeDistinguisher": "70000:70000"})
    with pytest.raises(Unprocessable, match="route-distinguisher"):
        check_items(catalog, [bad], PLATFORMS, OPENCONFIG)


def _qos_order(**values: Any) -> dict[str, Any]:
    chars = [{"name": k, "value": v} for k, v in values.items()]
    item = {"id": "q", "action": "add", "resourceSpecification": {"id": "transport-qos"}}
    return {"orderItem": [{**item, "resource": {"resourceCharacteristic": chars}}]}


def test_intake_checks_the_values_it_allocated() -> None:
    """check_request renders an item intake allocated a value for (the scheduler's sequence) from
    the stored request, not from the item as received; its stamp is the executor's."""
    catalog = Catalog.load()
    received = {k: v for k, v in QOS.items() if k != "schedulerSequence"}
    items = plan_order(ResourceOrderCreate.model_validate(_qos_order(**received)), catalog, PLATFORMS)
    stored = _qos_order(**received, schedulerSequence=3)
    path = os.pathsep.join(map(str, OPENCONFIG))
    stamp = check_request(catalog, stored, PLATFORMS, {}, path, items)
    replanned = plan_order(ResourceOrderCreate.model_validate(stored), catalog, PLATFORMS)
    assert stamp is not None and stamp == check_items(catalog, replanned, PLATFORMS, OPENCONFIG)
    other = plan_order(ResourceOrderCreate.model_validate(_qos_order(**QOS)), catalog, PLATFORMS)
    assert stamp != check_items(catalog, other, PLATFORMS, OPENCONFIG)  # sequence 1: another payload


def test_an_identity_from_another_namespace_is_refused_on_the_fast_path() -> None:
    """The fast path reads a prefixed leaf with its prefix's namespace: the VRF type's identity,
    L3VRF, named through a prefix bound to a module that does not define it, is refused after a
    valid payload of the same shape (and the same text)."""
    catalog = Catalog.load()
    [want] = intended_for(catalog, _item(catalog, "l3vpn-endpoint", dict(L3VPN_VALUES)))
    assert problems(want, "rom-router", OPENCONFIG) == []
    text = etree.tostring(want.payload, encoding="unicode")
    wrong = text.replace(
        'xmlns:oc-ni-types="http://openconfig.net/yang/network-instance-types"',
        'xmlns:oc-ni-types="http://openconfig.net/yang/interfaces"',
    )
    assert wrong != text
    moved = dataclasses.replace(want, payload=etree.fromstring(wrong))
    [found] = problems(moved, "rom-router", OPENCONFIG)
    assert "type" in found, found


def test_intake_reuses_its_renderings_only_for_the_items_it_did_not_fill() -> None:
    """check_request takes the caller's renderings of unchanged items (checked as given: a bad
    one is refused) and renders the items intake filled values into again (a stale rendering of
    such an item is not what is checked)."""
    catalog = Catalog.load()
    path = os.pathsep.join(map(str, OPENCONFIG))
    received = {k: v for k, v in QOS.items() if k != "schedulerSequence"}
    order = _qos_order(**received, schedulerSequence=2)
    [item] = plan_order(ResourceOrderCreate.model_validate(order), catalog, PLATFORMS)
    [good] = intended_for(catalog, item)
    assert good.document is not None
    bad = dataclasses.replace(good, document=good.document.replace('"bc"', '"burst"'))
    with pytest.raises(Unprocessable, match="burst"):
        check_request(catalog, order, PLATFORMS, {}, path, [item], {"q": [bad]})
    [first] = plan_order(ResourceOrderCreate.model_validate(_qos_order(**received)), catalog, PLATFORMS)
    stamp = check_request(catalog, order, PLATFORMS, {}, path, [first], {"q": [bad]})  # filled: renders
    assert stamp == check_request(catalog, order, PLATFORMS, {}, path, [item])
