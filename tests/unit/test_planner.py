from __future__ import annotations

import pytest
from lxml import etree

from core.errors import InvalidRequest
from core.tmf652 import ResourceOrderCreate
from intent.catalog import Catalog
from intent.planner import device_payloads, intended_state, plan_order

PLATFORMS = {"pe1": "rom-router", "pe2": "rom-router"}


def _order(*items: dict[str, object]) -> ResourceOrderCreate:
    return ResourceOrderCreate.model_validate({"orderItem": list(items)})


def _item(item_id: str, values: dict[str, object], spec: str = "l3vpn-endpoint") -> dict[str, object]:
    return {
        "id": item_id,
        "action": "add",
        "resourceSpecification": {"id": spec},
        "resource": {"resourceCharacteristic": [{"name": k, "value": v} for k, v in values.items()]},
    }


def test_plan_names_the_resource(l3vpn_values: dict[str, object]) -> None:
    [item] = plan_order(_order(_item("1", l3vpn_values)), Catalog.load(), PLATFORMS)
    assert item.device == "pe1"
    assert item.resource_name == "CUST-A@pe1:Ethernet1.100"


def test_unknown_spec(l3vpn_values: dict[str, object]) -> None:
    with pytest.raises(InvalidRequest, match="unknown resource specification 'nope'"):
        plan_order(_order(_item("1", l3vpn_values, spec="nope")), Catalog.load(), PLATFORMS)


def test_spec_is_required(l3vpn_values: dict[str, object]) -> None:
    item = _item("1", l3vpn_values)
    del item["resourceSpecification"]
    with pytest.raises(InvalidRequest, match="resourceSpecification is required"):
        plan_order(_order(item), Catalog.load(), PLATFORMS)


def test_missing_characteristic(l3vpn_values: dict[str, object]) -> None:
    del l3vpn_values["vrfName"]
    with pytest.raises(InvalidRequest, match=r"orderItem 1: .*missing characteristic 'vrfName'"):
        plan_order(_order(_item("1", l3vpn_values)), Catalog.load(), PLATFORMS)


def test_unknown_device(l3vpn_values: dict[str, object]) -> None:
    with pytest.raises(InvalidRequest, match="device 'pe9' is not in the inventory"):
        plan_order(_order(_item("1", {**l3vpn_values, "device": "pe9"})), Catalog.load(), PLATFORMS)


def test_duplicate_item_ids(l3vpn_values: dict[str, object]) -> None:
    with pytest.raises(InvalidRequest, match="used twice"):
        plan_order(_order(_item("1", l3vpn_values), _item("1", l3vpn_values)), Catalog.load(), PLATFORMS)


def test_two_items_on_one_device_share_one_payload(l3vpn_values: dict[str, object]) -> None:
    catalog = Catalog.load()
    items = plan_order(
        _order(_item("1", l3vpn_values), _item("2", {**l3vpn_values, "vrfName": "CUST-B", "vlanId": 200})),
        catalog,
        PLATFORMS,
    )
    intended = [intended_state(catalog, i.spec, i.device, i.platform, i.values) for i in items]
    payloads = device_payloads(intended)
    assert list(payloads) == ["pe1"]
    root = etree.fromstring(payloads["pe1"].encode())
    ns = {"ni": "http://openconfig.net/yang/network-instance"}
    names = root.xpath("ni:network-instances/ni:network-instance/ni:name/text()", namespaces=ns)
    assert names == ["CUST-A", "CUST-B"]
