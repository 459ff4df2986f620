"""TMF639 through its HTTP API: adopt, query, merge/JSON patch, delete, events, bad input."""

from __future__ import annotations

from typing import Any

import pytest

from core import outbox
from drift.reconcile import reconcile
from tests.integration.conftest import RomUnderTest

API = "/tmf-api/resourceInventoryManagement/v4"
RESOURCES = f"{API}/resource"
VALUES = {
    "device": "pe1",
    "vrfName": "ADOPT",
    "routeDistinguisher": "65000:7",
    "interface": "Ethernet2",
    "vlanId": 70,
    "ipv4Address": "10.70.0.1",
    "prefixLength": 31,
}


def adopt(rom: RomUnderTest, **overrides: Any) -> dict[str, Any]:
    body = {
        "name": "adopted",
        "resourceSpecification": {"id": "l3vpn-endpoint"},
        "resourceCharacteristic": [{"name": k, "value": v} for k, v in VALUES.items()],
        **overrides,
    }
    response = rom.client.post(RESOURCES, json=body)
    assert response.status_code == 201, response.text
    doc: dict[str, Any] = response.json()
    return doc


def events(rom: RomUnderTest) -> list[str]:
    with rom.ctx.sessions() as session:
        return [e.payload["eventType"] for e in outbox.list_events(session, "rom.resource.events")]


def test_adopt_query_patch_delete(rom: RomUnderTest) -> None:
    doc = adopt(rom, description="brownfield")
    assert doc["resourceStatus"] == "available" and doc["description"] == "brownfield"
    taken = {"vlanId": 71, "ipv4Address": "10.70.0.3"}  # the first one reserved VLAN 70 and its address
    second = [{"name": k, "value": taken.get(k, v)} for k, v in VALUES.items()]
    adopt(rom, name="second", resourceStatus="reserved", resourceCharacteristic=second)
    page = rom.client.get(RESOURCES, params={"resourceStatus": "reserved", "fields": "name"})
    assert page.headers["X-Total-Count"] == "1" and page.json()[0]["name"] == "second"
    assert set(page.json()[0]) == {"id", "href", "name"}

    url = f"{RESOURCES}/{doc['id']}"
    merged = rom.client.patch(
        url,
        json={"administrativeState": "locked", "description": None},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["administrativeState"] == "locked" and "description" not in merged.json()

    ops = [
        {"op": "test", "path": "/name", "value": "adopted"},
        {"op": "replace", "path": "/resourceCharacteristic/1/value", "value": "ADOPTED"},
    ]
    patched = rom.client.patch(url, json=ops, headers={"Content-Type": "application/json-patch+json"})
    assert patched.status_code == 200, patched.text
    assert {"name": "vrfName", "value": "ADOPTED"} in patched.json()["resourceCharacteristic"]

    assert rom.client.delete(url).status_code == 204
    assert rom.client.get(url).status_code == 404
    assert events(rom) == [
        "ResourceCreateEvent",
        "ResourceCreateEvent",
        "ResourceStateChangeEvent",
        "ResourceAttributeValueChangeEvent",
        "ResourceAttributeValueChangeEvent",
        "ResourceDeleteEvent",
    ]


def test_adopted_resource_that_is_not_on_the_device_is_drift(rom: RomUnderTest) -> None:
    doc = adopt(rom)
    [drift] = reconcile(rom.ctx, resource_id=doc["id"])
    assert {d.kind for d in drift.differences} == {"missing"}


@pytest.mark.parametrize(
    ("patch", "content_type", "fragment"),
    [
        ({"id": "other"}, "application/merge-patch+json", "read-only"),
        ({"resourceSpecification": {"id": "x"}}, "application/merge-patch+json", "read-only"),
        ({"usageState": "sleepy"}, "application/merge-patch+json", "usageState must be one of"),
        (
            {"resourceCharacteristic": [{"name": "vlanId", "value": 5000}]},
            "application/merge-patch+json",
            "missing characteristic",
        ),
        (
            [{"op": "replace", "path": "/resourceCharacteristic/4/value", "value": 5000}],
            "application/json-patch+json",
            "must be <= 4094",
        ),
        (
            [{"op": "replace", "path": "/resourceCharacteristic/0/value", "value": "pe2"}],
            "application/json-patch+json",
            "cannot change",
        ),
        ([{"op": "test", "path": "/name", "value": "nope"}], "application/json-patch+json", "cannot apply"),
        ([{"op": "remove", "path": "/nope/0"}], "application/json-patch+json", "cannot apply"),
        ({"op": "replace"}, "application/json-patch+json", "list of operations"),
        ([1, 2], "application/merge-patch+json", "JSON object"),
    ],
)
def test_bad_patches_change_nothing(rom: RomUnderTest, patch: Any, content_type: str, fragment: str) -> None:
    doc = adopt(rom)
    before = events(rom)
    response = rom.client.patch(
        f"{RESOURCES}/{doc['id']}", json=patch, headers={"Content-Type": content_type}
    )
    assert response.status_code == 400, response.text
    assert fragment in response.json()["message"]
    assert rom.client.get(f"{RESOURCES}/{doc['id']}").json() == doc
    assert events(rom) == before


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"resourceSpecification": {"id": "nope"}}, "unknown resource specification"),
        ({"resourceSpecification": None}, "resourceSpecification must be an object with an id"),
        ({"resourceSpecification": {"name": "l3vpn"}}, "resourceSpecification must be an object with an id"),
        ({"name": ""}, "name is required"),
        ({"colour": "red"}, "unknown field(s): colour"),  # id/href: the swagger requires them
        ({"resourceCharacteristic": [{"name": "device", "value": "pe9"}]}, "missing characteristic"),
    ],
)
def test_bad_creates(rom: RomUnderTest, overrides: dict[str, Any], fragment: str) -> None:
    body = {
        "name": "x",
        "resourceSpecification": {"id": "l3vpn-endpoint"},
        "resourceCharacteristic": [{"name": k, "value": v} for k, v in VALUES.items()],
        **overrides,
    }
    before = rom.client.get(RESOURCES).headers["X-Total-Count"]  # the devices
    response = rom.client.post(RESOURCES, json=body)
    assert response.status_code == 400, response.text
    assert fragment in response.json()["message"]
    assert rom.client.get(RESOURCES).headers["X-Total-Count"] == before


def test_unknown_ids_and_inventory_hub(rom: RomUnderTest) -> None:
    assert rom.client.get(f"{RESOURCES}/nope").status_code == 404
    assert rom.client.patch(f"{RESOURCES}/nope", json={}).status_code == 404
    assert rom.client.delete(f"{RESOURCES}/nope").status_code == 404
    hub = rom.client.post(
        f"{API}/hub", json={"callback": "http://127.0.0.1:9/x", "query": "eventType=ResourceDeleteEvent"}
    )
    assert hub.status_code == 201 and hub.headers["Location"].startswith(f"{API}/hub/")


def test_a_create_that_repeats_or_contradicts_a_resource_is_409_naming_it(rom: RomUnderTest) -> None:
    first = adopt(rom, name="owner")
    chars = [{"name": k, "value": v} for k, v in VALUES.items()]
    body = {
        "name": "again",
        "resourceSpecification": {"id": "l3vpn-endpoint"},
        "resourceCharacteristic": chars,
    }
    repeat = rom.client.post(RESOURCES, json=body)
    assert repeat.status_code == 409, repeat.text
    assert f"repeats resource {first['id']} ({first['name']})" in repeat.json()["message"]

    other_rd = {"routeDistinguisher": "65000:8", "vlanId": 72, "ipv4Address": "10.70.0.5"}
    body["resourceCharacteristic"] = [{"name": k, "value": other_rd.get(k, v)} for k, v in VALUES.items()]
    contradicts = rom.client.post(RESOURCES, json=body)
    assert contradicts.status_code == 409, contradicts.text
    message = contradicts.json()["message"]
    assert "route-distinguisher on pe1 is owned by" in message and first["id"] in message
    assert "'65000:7'" in message and "'65000:8'" in message
    listed = rom.client.get(RESOURCES, params={"resourceSpecification.id": "l3vpn-endpoint"}).json()
    assert [r["id"] for r in listed] == [first["id"]]  # nothing else was created
