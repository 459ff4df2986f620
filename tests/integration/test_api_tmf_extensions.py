"""Schema-valid requests the API accepts (issue 17): TMF630 extension attributes (`@type` naming an
extension, `@baseType`, `@schemaLocation`, extra attributes) kept and returned; `limit=0` answers
the counts only; ids and hrefs a create carries (the swagger requires them) are ROM's to assign."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import ORDERS, RomUnderTest, l3vpn_item, order

pytestmark = pytest.mark.integration

ORDERING, INVENTORY = "/tmf-api/resourceOrderingManagement/v4", "/tmf-api/resourceInventoryManagement/v4"
LATER = "2099-01-01T00:00:00Z"
EXTENSION = {
    "@type": "GoldResourceOrder",
    "@baseType": "ResourceOrder",
    "@schemaLocation": "https://example.com/schemas/GoldResourceOrder.json",
    "slaTier": "gold",
    "contact": {"name": "NOC", "phone": "+1 555 0100"},
}


def test_order_and_cancellation_extensions_are_kept_and_returned(rom: RomUnderTest) -> None:
    body = order(l3vpn_item("1", "pe1", "EXT", 120), requestedStartDate=LATER, **EXTENSION)
    created = rom.client.post(ORDERS, json=body)
    assert created.status_code == 201, created.text
    url = f"{ORDERS}/{created.json()['id']}"
    got = rom.client.get(url).json()
    assert {k: got[k] for k in EXTENSION} == EXTENSION
    merge = {"Content-Type": "application/merge-patch+json"}
    patched = rom.client.patch(url, json={"@type": "GoldResourceOrder", "slaTier": "platinum"}, headers=merge)
    assert patched.status_code == 200, patched.text
    assert rom.client.get(url).json()["slaTier"] == "platinum"
    cancel = {
        "resourceOrder": {"id": got["id"]},
        "@type": "AuditedCancelResourceOrder",
        "@baseType": "CancelResourceOrder",
        "ticket": "CHG-7",
    }
    task = rom.client.post(f"{ORDERING}/cancelResourceOrder", json=cancel)
    assert task.status_code == 201, task.text
    stored = rom.client.get(f"{ORDERING}/cancelResourceOrder/{task.json()['id']}").json()
    assert stored["ticket"] == "CHG-7" and stored["@type"] == "AuditedCancelResourceOrder"


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"slaTier": "gold"}, "need an @type naming an extension"),
        ({"@type": "ResourceOrder", "slaTier": "gold"}, "need an @type naming an extension"),
        ({"@type": "GoldResourceOrder", "state": "completed"}, "state: set by ROM"),
        ({"completionDate": "2026-01-01T00:00:00Z"}, "completionDate: set by ROM"),
    ],
)
def test_attributes_beyond_the_schema_need_an_extension_type(
    rom: RomUnderTest, extra: dict[str, Any], fragment: str
) -> None:
    response = rom.client.post(ORDERS, json=order(l3vpn_item("1", "pe1", "EXR", 121), **extra))
    assert response.status_code == 400 and fragment in response.json()["message"], response.text


def test_resource_extensions_and_ids_in_a_create(rom: RomUnderTest) -> None:
    resources = f"{INVENTORY}/resource"
    values = l3vpn_item("1", "pe1", "EXT", 130)["resource"]
    body = {
        "id": "client-chosen",
        "href": "/elsewhere",
        "name": "ext",
        "@type": "CircuitEndpoint",
        "@baseType": "LogicalResource",
        "circuitId": "C-42",
        "resourceSpecification": {"id": "l3vpn-endpoint"},
        **values,
    }
    created = rom.client.post(resources, json=body)
    assert created.status_code == 201, created.text
    doc = created.json()
    assert doc["id"] != "client-chosen" and doc["href"] == f"http://testserver{resources}/{doc['id']}"
    got = rom.client.get(doc["href"]).json()
    assert got["circuitId"] == "C-42" and got["@type"] == "CircuitEndpoint"
    assert got["@baseType"] == "LogicalResource"
    plain = {**body, "@type": "LogicalResource", "circuitId": "C-43"}
    refused = rom.client.post(resources, json=plain)
    assert refused.status_code == 400 and "circuitId" in refused.json()["message"]


@pytest.mark.parametrize("path", [ORDERS, f"{ORDERING}/cancelResourceOrder", f"{INVENTORY}/resource"])
def test_limit_zero_answers_the_counts_only(rom: RomUnderTest, path: str) -> None:
    rom.client.post(ORDERS, json=order(l3vpn_item("1", "pe1", "EXL", 140), requestedStartDate=LATER))
    response = rom.client.get(path, params={"limit": 0})
    assert response.status_code == 200 and response.json() == []
    assert response.headers["X-Result-Count"] == "0" and int(response.headers["X-Total-Count"]) >= 0


def test_a_page_larger_than_the_server_gives_is_answered_not_refused(rom: RomUnderTest) -> None:
    response = rom.client.get(ORDERS, params={"limit": 10**6})
    assert response.status_code == 200 and response.headers["X-Result-Count"] == "0"
    assert rom.client.get(ORDERS, params={"limit": -1}).status_code == 400


def test_a_merge_patch_may_carry_its_own_id_and_href(rom: RomUnderTest) -> None:
    """The swagger's Resource_Update requires them; another resource's are refused (read-only)."""
    values = l3vpn_item("1", "pe1", "EXP", 150)["resource"]
    body = {"name": "p", "resourceSpecification": {"id": "l3vpn-endpoint"}, **values}
    doc = rom.client.post(f"{INVENTORY}/resource", json=body).json()
    merge = {"Content-Type": "application/merge-patch+json"}
    patch = {"id": doc["id"], "href": doc["href"], "description": "patched"}
    patched = rom.client.patch(doc["href"], json=patch, headers=merge)
    assert patched.status_code == 200, patched.text
    assert patched.json()["id"] == doc["id"] and patched.json()["description"] == "patched"
