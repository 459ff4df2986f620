"""TMF639 writes keep reservations: a PATCH onto another resource's VLAN is a 409 that changes nothing."""

from __future__ import annotations

from typing import Any

from core import outbox
from tests.integration.conftest import RomUnderTest

RESOURCES = "/tmf-api/resourceInventoryManagement/v4/resource"


def create(rom: RomUnderTest, name: str, vlan: int | None, vrf: str) -> dict[str, Any]:
    values: dict[str, Any] = {
        "device": "pe1",
        "vrfName": vrf,
        "routeDistinguisher": "65000:7",
        "interface": "Ethernet2",
        "ipv4Address": "10.70.0.1",
        "prefixLength": 31,
    }
    if vlan is not None:
        values["vlanId"] = vlan
    body = {
        "name": name,
        "resourceSpecification": {"id": "l3vpn-endpoint"},
        "resourceCharacteristic": [{"name": k, "value": v} for k, v in values.items()],
    }
    response = rom.client.post(RESOURCES, json=body)
    assert response.status_code == 201, response.text
    doc: dict[str, Any] = response.json()
    return doc


def vlan_of(doc: dict[str, Any]) -> Any:
    return next(c["value"] for c in doc["resourceCharacteristic"] if c["name"] == "vlanId")


def test_patch_onto_a_reserved_vlan_is_409_and_writes_nothing(rom: RomUnderTest) -> None:
    a = create(rom, "a", 70, "A")
    b = create(rom, "b", None, "B")  # allocated: the lowest free VLAN
    assert vlan_of(b) == 1
    with rom.ctx.sessions() as session:
        events = len(outbox.list_events(session, "rom.resource.events"))
    ops = [{"op": "replace", "path": "/resourceCharacteristic/4/value", "value": 70}]
    assert b["resourceCharacteristic"][4]["name"] == "vlanId"
    response = rom.client.patch(
        f"{RESOURCES}/{b['id']}", json=ops, headers={"Content-Type": "application/json-patch+json"}
    )
    assert response.status_code == 409, response.text
    assert (
        f"vlanId 70 already reserved on pe1/Ethernet2 (pool vlan) by resource {a['id']}"
        in response.json()["message"]
    )
    assert rom.client.get(f"{RESOURCES}/{b['id']}").json() == b
    with rom.ctx.sessions() as session:
        assert len(outbox.list_events(session, "rom.resource.events")) == events
    # its own value may be kept, and a free one taken; the old one is free again afterwards
    ops[0]["value"] = 71
    moved = rom.client.patch(
        f"{RESOURCES}/{b['id']}", json=ops, headers={"Content-Type": "application/json-patch+json"}
    )
    assert moved.status_code == 200 and vlan_of(moved.json()) == 71
    assert vlan_of(create(rom, "c", None, "C")) == 1
    # delete releases
    assert rom.client.delete(f"{RESOURCES}/{a['id']}").status_code == 204
    assert vlan_of(create(rom, "d", 70, "D")) == 70


def test_order_onto_a_resource_vlan_is_409(rom: RomUnderTest) -> None:
    create(rom, "a", 300, "VX")
    from tests.integration.conftest import ORDERS, l3vpn_item, order

    response = rom.client.post(ORDERS, json=order(l3vpn_item("1", "pe1", "VY", 300)))
    assert response.status_code == 409 and "vlanId 300 already reserved" in response.json()["message"]
    assert rom.client.get(ORDERS).headers["X-Total-Count"] == "0"
