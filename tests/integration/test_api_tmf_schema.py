"""Every body the API answers validates against the official TMF652 / TMF639 v4 swagger definitions
(`tests/tmf_schema.py`), in every order state: acknowledged, held, inProgress (as the order's own
state-change events carry it), completed, failed, partial and cancelled; with and without `fields=`; error
bodies too. Also: 204 answers carry the content type the swagger declares."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from core import outbox
from inventory.records import Device, upsert_device
from lab.support import wait_order
from tests.integration.conftest import ORDERS, RomUnderTest, l3vpn_item, order
from tests.tmf_schema import have_swagger, violations

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not have_swagger(), reason="the official TMF swagger files are not at hand"),
]

ORDERING, INVENTORY = "/tmf-api/resourceOrderingManagement/v4", "/tmf-api/resourceInventoryManagement/v4"
CANCELS, RESOURCES = f"{ORDERING}/cancelResourceOrder", f"{INVENTORY}/resource"
LATER = "2099-01-01T00:00:00Z"
DECLARED = "application/json;charset=utf-8"  # the swaggers' `produces`


def conforms(api: str, definition: str, response: httpx.Response, many: bool = False) -> Any:
    assert response.status_code < 300, response.text
    body = response.json()
    assert violations(api, definition, body, many) == [], (response.request.url, body)
    return body


def created(rom: RomUnderTest, body: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = conforms("652", "ResourceOrder", rom.client.post(ORDERS, json=body))
    return doc


def every_read_conforms(rom: RomUnderTest, order_ids: list[str]) -> None:
    c = rom.client
    for fields in (None, "state", "orderItem", "name,description"):
        params = {"fields": fields} if fields else {}
        conforms("652", "ResourceOrder", c.get(ORDERS, params=params), many=True)
        conforms("652", "CancelResourceOrder", c.get(CANCELS, params=params), many=True)
        conforms("639", "Resource", c.get(RESOURCES, params=params), many=True)
        for order_id in order_ids:
            conforms("652", "ResourceOrder", c.get(f"{ORDERS}/{order_id}", params=params))
        for task in c.get(CANCELS).json():
            conforms("652", "CancelResourceOrder", c.get(f"{CANCELS}/{task['id']}", params=params))
        for resource in c.get(RESOURCES).json():
            conforms("639", "Resource", c.get(f"{RESOURCES}/{resource['id']}", params=params))


def test_order_bodies_conform_in_every_state(rom: RomUnderTest) -> None:
    with rom.ctx.transaction() as session:  # a device nobody answers on: its orders fail
        upsert_device(session, Device(name="pe9", host="127.0.0.1", port=1, platform="rom-router"))
    waiting = created(rom, order(l3vpn_item("1", "pe1", "SA", 101), requestedStartDate=LATER))
    assert all(i["resource"]["id"] and i["resource"]["href"] for i in waiting["orderItem"])
    held = created(rom, order(l3vpn_item("1", "pe1", "SH", 102), requestedStartDate=LATER))
    merge = {"Content-Type": "application/merge-patch+json"}
    patched = rom.client.patch(f"{ORDERS}/{held['id']}", json={"state": "held"}, headers=merge)
    assert conforms("652", "ResourceOrder", patched)["state"] == "held"
    to_cancel = created(rom, order(l3vpn_item("1", "pe1", "SC", 103), requestedStartDate=LATER))
    task = rom.client.post(CANCELS, json={"resourceOrder": {"id": to_cancel["id"]}})
    assert conforms("652", "CancelResourceOrder", task)["state"] == "done"
    done = created(rom, order(l3vpn_item("1", "pe1", "SD", 104), l3vpn_item("2", "pe2", "SD", 105)))
    failed = created(rom, order(l3vpn_item("1", "pe9", "SF", 106)))
    partial = created(
        rom, order(l3vpn_item("1", "pe1", "SP", 107), l3vpn_item("2", "pe9", "SP", 108), partialAllowed=True)
    )
    assert wait_order(rom.client, done["id"])["state"] == "completed"
    assert wait_order(rom.client, failed["id"])["state"] == "failed"
    assert (
        wait_order(rom.client, partial["id"], states={"partial", "completed", "failed"})["state"] == "partial"
    )
    late = rom.client.post(CANCELS, json={"resourceOrder": {"id": done["id"]}})
    assert conforms("652", "CancelResourceOrder", late)["state"] == "terminatedWithError"

    completed = rom.client.get(f"{ORDERS}/{done['id']}").json()
    for asked, got in zip(done["orderItem"], completed["orderItem"], strict=True):
        assert got["resource"]["id"] == asked["resource"]["id"], "the resource keeps the id of intake"
        assert rom.client.get(got["resource"]["href"]).status_code == 200
    ids = [waiting["id"], held["id"], to_cancel["id"], done["id"], failed["id"], partial["id"]]
    states = {rom.client.get(f"{ORDERS}/{i}").json()["state"] for i in ids}
    assert states == {"acknowledged", "held", "cancelled", "completed", "failed", "partial"}
    every_read_conforms(rom, ids)

    with rom.ctx.sessions() as session:  # every state each order went through, inProgress included
        bodies = [e.payload["event"] for e in outbox.list_events(session, "rom.resourceOrder.events")]
    seen = set()
    for body in bodies:
        if "resourceOrder" in body:
            assert violations("652", "ResourceOrder", body["resourceOrder"]) == [], body
            seen.add(body["resourceOrder"]["state"])
        else:
            assert violations("652", "CancelResourceOrder", body["cancelResourceOrder"]) == [], body
    assert {"inProgress", "completed", "failed", "partial", "cancelled"} <= seen


def test_resource_hub_and_error_bodies_conform(rom: RomUnderTest) -> None:
    values = l3vpn_item("1", "pe1", "SR", 110)["resource"]
    adopted = rom.client.post(
        RESOURCES, json={"name": "adopted", "resourceSpecification": {"id": "l3vpn-endpoint"}, **values}
    )
    doc = conforms("639", "Resource", adopted)
    url = f"{RESOURCES}/{doc['id']}"
    merge = {"Content-Type": "application/merge-patch+json"}
    conforms("639", "Resource", rom.client.patch(url, json={"description": "x"}, headers=merge))
    for api, base in (("652", ORDERING), ("639", INVENTORY)):
        hub = conforms(
            api, "EventSubscription", rom.client.post(f"{base}/hub", json={"callback": "http://x/"})
        )
        conforms(api, "EventSubscription", rom.client.get(f"{base}/hub/{hub['id']}"))
        gone = rom.client.delete(f"{base}/hub/{hub['id']}")
        assert gone.status_code == 204 and gone.headers["content-type"] == DECLARED and gone.content == b""
    gone = rom.client.delete(url)
    assert gone.status_code == 204 and gone.headers["content-type"] == DECLARED
    waiting = created(rom, order(l3vpn_item("1", "pe1", "SX", 111), requestedStartDate=LATER))
    rom.client.post(CANCELS, json={"resourceOrder": {"id": waiting["id"]}})
    gone = rom.client.delete(f"{ORDERS}/{waiting['id']}")
    assert gone.status_code == 204 and gone.headers["content-type"] == DECLARED
    for response in (
        rom.client.get(f"{ORDERS}/nope"),
        rom.client.get(RESOURCES, params={"colour": "red"}),
        rom.client.post(ORDERS, json={"orderItem": []}),
        rom.client.delete(f"{ORDERS}/nope"),
    ):
        assert response.status_code >= 400
        assert violations("652", "Error", response.json()) == [], response.text
