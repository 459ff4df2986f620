"""TMF639 as the inventory of everything ROM manages: devices are resources, a resource without a
catalog specification can be recorded, and service resources rely on their devices. Every body is
checked against the official TMF639 swagger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.query import PageRequest
from core.settings import Settings
from inventory import resources
from inventory.context import Context
from inventory.records import Device, upsert_device
from lab.postgres import PostgresServer
from tests.integration.conftest import RomUnderTest, l3vpn_item
from tests.tmf_schema import have_swagger, violations

pytestmark = pytest.mark.skipif(not have_swagger(), reason="official TMF swagger files not found")
RESOURCES = "/tmf-api/resourceInventoryManagement/v4/resource"
MERGE = {"Content-Type": "application/merge-patch+json"}


def valid(body: Any, many: bool = False) -> Any:
    assert violations("639", "Resource", body, many) == []
    return body


def chars(doc: dict[str, Any]) -> dict[str, Any]:
    return {c["name"]: c["value"] for c in doc["resourceCharacteristic"]}


def test_devices_are_resources(rom: RomUnderTest) -> None:
    with rom.ctx.transaction() as session:
        upsert_device(session, Device(name="upf1", host="10.0.0.9", port=830, platform="rom-5gc", role="upf"))
    listed = valid(rom.client.get(RESOURCES, params={"category": "device"}).json(), many=True)
    assert [d["name"] for d in listed] == ["pe1", "pe2", "upf1"]
    pe1 = valid(rom.client.get(f"{RESOURCES}/device-pe1").json())
    assert pe1["@type"] == "PhysicalResource" and pe1["@baseType"] == "Resource"
    assert chars(pe1)["platform"] == "rom-router" and chars(pe1)["managementAddress"] == "127.0.0.1"
    assert "netconf" in chars(pe1)["protocols"]
    upf = valid(rom.client.get(f"{RESOURCES}/device-upf1").json())
    assert upf["@type"] == "LogicalResource" and chars(upf)["role"] == "upf"
    assert rom.client.get(f"{RESOURCES}/device-nope").status_code == 404
    # written by `rom inventory import`, never through TMF639
    assert rom.client.patch(f"{RESOURCES}/device-pe1", json={"name": "x"}, headers=MERGE).status_code == 409
    assert rom.client.delete(f"{RESOURCES}/device-pe1").status_code == 409


def test_a_resource_without_specification_is_recorded(rom: RomUnderTest) -> None:
    body = {
        "@type": "PhysicalResource",
        "name": "line card 3",
        "category": "card",
        "resourceStatus": "available",
        "resourceCharacteristic": [{"name": "slot", "value": 3}],
        "resourceRelationship": [
            {
                "relationshipType": "isContainedIn",
                "resource": {"id": "device-pe1", "href": f"{RESOURCES}/device-pe1"},
            }
        ],
    }
    created = rom.client.post(RESOURCES, json=body)
    assert created.status_code == 201, created.text
    doc = valid(created.json())
    assert created.headers["Location"] == doc["href"] and doc["@type"] == "PhysicalResource"
    assert (
        doc["resourceCharacteristic"] == body["resourceCharacteristic"] and "resourceSpecification" not in doc
    )
    url = f"{RESOURCES}/{doc['id']}"
    patched = rom.client.patch(url, json={"resourceStatus": "suspended", "href": doc["href"]}, headers=MERGE)
    assert patched.status_code == 200, patched.text
    assert valid(rom.client.get(url).json())["resourceStatus"] == "suspended"
    page = rom.client.get(RESOURCES, params={"category": "card", "fields": "name"})
    assert page.headers["X-Total-Count"] == "1" and page.json()[0]["name"] == "line card 3"
    bad = rom.client.post(RESOURCES, json={**body, "usageState": "sleeping"})
    assert bad.status_code == 400 and "usageState" in bad.json()["message"]
    assert rom.client.delete(url).status_code == 204
    assert rom.client.get(url).status_code == 404


def test_service_resources_rely_on_their_devices(rom: RomUnderTest) -> None:
    values = l3vpn_item("1", "pe2", "REL", 120)["resource"]
    body = {"name": "vpn", "resourceSpecification": {"id": "l3vpn-endpoint"}, **values}
    doc = valid(rom.client.post(RESOURCES, json=body).json())
    related = [
        r["resource"]["id"] for r in doc["resourceRelationship"] if r["relationshipType"] == "reliesOn"
    ]
    assert related == ["device-pe2"]
    device = rom.client.get(doc["resourceRelationship"][0]["resource"]["href"])
    assert device.status_code == 200 and device.json()["name"] == "pe2"
    of_spec = rom.client.get(RESOURCES, params={"resourceSpecification.id": "l3vpn-endpoint"})
    assert [d["name"] for d in of_spec.json()] == ["vpn"]  # a dotted attribute, not an operator
    everything = valid(rom.client.get(RESOURCES, params={"sort": "-name"}).json(), many=True)
    assert [d["name"] for d in everything] == ["vpn", "pe2", "pe1"]


@pytest.mark.parametrize("specified", [False, True], ids=["plain", "of-a-specification"])
def test_resource_status_follows_its_lifecycle(rom: RomUnderTest, specified: bool) -> None:
    body: dict[str, Any] = {"name": "lifecycle", "resourceStatus": "available"}
    if specified:
        body |= {
            "resourceSpecification": {"id": "l3vpn-endpoint"},
            **l3vpn_item("1", "pe1", "LC", 130)["resource"],
        }
    created = rom.client.post(RESOURCES, json=body)
    assert created.status_code == 201, created.text
    url = f"{RESOURCES}/{created.json()['id']}"

    def status_after(patch: Any, content_type: str = MERGE["Content-Type"]) -> tuple[int, str]:
        answer = rom.client.patch(url, json=patch, headers={"Content-Type": content_type})
        stored = valid(rom.client.get(url).json())["resourceStatus"]
        return answer.status_code, answer.json().get("message", "") if answer.status_code >= 400 else stored

    assert status_after({"resourceStatus": "suspended"}) == (200, "suspended")
    assert status_after({"resourceStatus": "suspended"}) == (200, "suspended")  # a no-op
    code, message = status_after({"resourceStatus": "alarm"})
    assert code == 422 and "from suspended to alarm" in message and "(from suspended: available)" in message
    assert status_after({"resourceStatus": "reserved", "description": "x"})[0] == 422
    # the SLA monitor's clear only applies to a resource still in alarm: a suspended one stays
    clear = [
        {"op": "test", "path": "/resourceStatus", "value": "alarm"},
        {"op": "replace", "path": "/resourceStatus", "value": "available"},
    ]
    assert status_after(clear, "application/json-patch+json")[0] == 400
    assert valid(rom.client.get(url).json())["resourceStatus"] == "suspended"
    assert status_after({"resourceStatus": "available"}) == (200, "available")
    assert status_after({"resourceStatus": "alarm"}) == (200, "alarm")
    assert status_after({"resourceStatus": "reserved"})[0] == 422
    assert status_after(clear, "application/json-patch+json") == (200, "available")
    assert status_after({"resourceStatus": "sleeping"})[0] == 400  # not a status at all


def test_the_inventory_list_on_postgresql(postgres: PostgresServer, tmp_path: Path) -> None:
    """The union of service resources, plain resources and devices on PostgreSQL (types of the
    literal columns, the device id expression), filtered, sorted and paged."""
    ctx = Context.create(Settings(var_dir=tmp_path, database_url=postgres.url))
    try:
        with ctx.transaction() as session:
            upsert_device(
                session, Device(name="pe1", host="127.0.0.1", port=1, platform="rom-router", role="pe")
            )
        card = resources.create_resource(ctx, {"name": "card", "category": "card"}, "c")
        values = l3vpn_item("1", "pe1", "PG", 77)["resource"]
        vpn = resources.create_resource(
            ctx, {"name": "vpn", "resourceSpecification": {"id": "l3vpn-endpoint"}, **values}, "c"
        )
        page, total = resources.list_resources_page(ctx, PageRequest(sort="-name"))
        assert [d["name"] for d in page] == ["vpn", "pe1", "card"] and total == 3
        for params, names in [
            ((("id", "device-pe1"),), ["pe1"]),
            ((("id", f"{card['id']},{vpn['id']}"),), ["card", "vpn"]),
            ((("resourceSpecification.id", "l3vpn-endpoint"),), ["vpn"]),
            ((("category", "device"),), ["pe1"]),
            ((("usageState", "active"),), ["pe1"]),
        ]:
            found, count = resources.list_resources_page(ctx, PageRequest(params))
            assert [d["name"] for d in found] == names and count == len(names), params
    finally:
        ctx.engine.dispose()
