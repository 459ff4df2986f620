"""TMF652 through its HTTP API: filters, paging, PATCH, DELETE, cancellation, hubs, idempotency."""

from __future__ import annotations

from typing import Any

import pytest

from lab.support import wait_order
from tests.integration.conftest import ORDERS, RomUnderTest, l3vpn_item, order

API = "/tmf-api/resourceOrderingManagement/v4"
LATER = "2099-01-01T00:00:00Z"  # a requested start that keeps an order waiting


def post(rom: RomUnderTest, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = rom.client.post(ORDERS, json=body)
    assert response.status_code == status, response.text
    doc: dict[str, Any] = response.json()
    return doc


def wait_state(rom: RomUnderTest, order_id: str, states: set[str], timeout: float = 60) -> dict[str, Any]:
    return wait_order(rom.client, order_id, timeout, states)


def waiting(rom: RomUnderTest, vlan: int, **fields: Any) -> dict[str, Any]:
    return post(rom, order(l3vpn_item("1", "pe1", f"V{vlan}", vlan), requestedStartDate=LATER, **fields))


def test_filters_apply_before_paging_and_fields_project(rom: RomUnderTest) -> None:
    ids = [
        waiting(rom, 100 + i, category="gold" if i % 2 else "silver", priority=i % 4)["id"] for i in range(6)
    ]
    page = rom.client.get(ORDERS, params={"category": "gold", "limit": 2, "offset": 1, "fields": "state"})
    assert page.status_code == 200
    assert page.headers["X-Total-Count"] == "3" and page.headers["X-Result-Count"] == "2"
    assert all(set(d) == {"id", "href", "state"} for d in page.json())
    assert {d["id"] for d in page.json()} <= set(ids)
    by_priority = rom.client.get(ORDERS, params={"priority": "0,1", "sort": "priority"}).json()
    assert [d["priority"] for d in by_priority] == [0, 0, 1, 1]
    assert rom.client.get(ORDERS, params={"orderDate.gte": LATER}).headers["X-Total-Count"] == "0"
    assert rom.client.get(ORDERS, params={"orderDate.lt": LATER}).headers["X-Total-Count"] == "6"
    counts = rom.client.get(ORDERS, params={"category": "gold", "limit": 0})  # TMF630: counts only
    assert counts.status_code == 200 and counts.json() == []
    assert counts.headers["X-Total-Count"] == "3" and counts.headers["X-Result-Count"] == "0"


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"colour": "red"}, "cannot filter on 'colour'"),
        ({"priority": "high"}, "not a valid int"),
        ({"orderDate.near": "2026-01-01"}, "unknown operator"),
        ({"sort": "colour"}, "cannot sort"),
        ({"limit": "-1"}, "limit"),
    ],
)
def test_bad_queries_are_400(rom: RomUnderTest, params: dict[str, str], fragment: str) -> None:
    response = rom.client.get(ORDERS, params=params)
    assert response.status_code == 400
    assert fragment in response.json()["message"]


def test_idempotent_replay_and_conflict(rom: RomUnderTest) -> None:
    body = order(l3vpn_item("1", "pe1", "VX", 300), externalId="SOM-42", requestedStartDate=LATER)
    first = rom.client.post(ORDERS, json=body)
    replay = rom.client.post(ORDERS, json=body)
    assert first.status_code == replay.status_code == 201
    assert replay.headers["Idempotent-Replay"] == "true" and replay.json()["id"] == first.json()["id"]
    assert rom.client.get(ORDERS, params={"externalId": "SOM-42"}).headers["X-Total-Count"] == "1"
    other = rom.client.post(ORDERS, json={**body, "description": "changed"})
    assert other.status_code == 409 and other.json()["code"] == "409"


def test_patch_hold_release_and_refusals(rom: RomUnderTest) -> None:
    doc = waiting(rom, 400)
    url = f"{ORDERS}/{doc['id']}"
    merge = {"Content-Type": "application/merge-patch+json"}
    patched = rom.client.patch(url, content=b'{"description": "new", "state": "held"}', headers=merge)
    assert patched.status_code == 200, patched.text
    assert patched.json()["state"] == "held" and patched.json()["description"] == "new"
    assert {i["state"] for i in patched.json()["orderItem"]} == {"held"}
    assert rom.client.patch(url, json={"state": "acknowledged"}).status_code == 409
    assert rom.client.patch(url, json={"state": "completed"}).status_code == 400
    assert rom.client.patch(url, json={"orderItem": []}).status_code == 400
    assert rom.client.patch(f"{ORDERS}/nope", json={"description": "x"}).status_code == 404
    released = rom.client.patch(url, json={"state": "pending", "requestedStartDate": None})
    assert released.json()["state"] == "pending"
    done = wait_state(rom, doc["id"], {"completed", "failed"})
    assert done["state"] == "completed", done.get("note")
    assert rom.client.patch(url, json={"description": "late"}).status_code == 409


def test_delete_only_final_orders(rom: RomUnderTest) -> None:
    doc = waiting(rom, 500)
    url = f"{ORDERS}/{doc['id']}"
    assert rom.client.delete(url).status_code == 409
    cancel = rom.client.post(f"{API}/cancelResourceOrder", json={"resourceOrder": {"id": doc["id"]}})
    assert cancel.status_code == 201 and cancel.json()["state"] == "done"
    assert rom.client.get(url).json()["state"] == "cancelled"
    assert rom.client.delete(url).status_code == 204
    assert rom.client.get(url).status_code == 404


def test_cancel_tasks(rom: RomUnderTest) -> None:
    done = post(rom, order(l3vpn_item("1", "pe2", "VC", 600)))
    assert wait_state(rom, done["id"], {"completed", "failed"})["state"] == "completed"
    late = rom.client.post(f"{API}/cancelResourceOrder", json={"resourceOrder": {"id": done["id"]}})
    assert late.json()["state"] == "terminatedWithError" and "completed" in late.json()["errorMessage"]
    missing = rom.client.post(f"{API}/cancelResourceOrder", json={"resourceOrder": {"id": "nope"}})
    assert missing.status_code == 400
    listed = rom.client.get(f"{API}/cancelResourceOrder", params={"state": "terminatedWithError"})
    assert listed.headers["X-Total-Count"] == "1"
    one = rom.client.get(f"{API}/cancelResourceOrder/{late.json()['id']}", params={"fields": "state"})
    assert one.json() == {  # resourceOrder is mandatory in a CancelResourceOrder: fields= keeps it
        "id": late.json()["id"],
        "href": late.json()["href"],
        "state": "terminatedWithError",
        "resourceOrder": late.json()["resourceOrder"],
    }


def test_hub_register_and_remove(rom: RomUnderTest) -> None:
    created = rom.client.post(
        f"{API}/hub", json={"callback": "http://127.0.0.1:9/listener", "query": "eventType=X"}
    )
    assert created.status_code == 201
    hub_id = created.json()["id"]
    assert rom.client.get(f"{API}/hub/{hub_id}").json()["query"] == "eventType=X"
    assert rom.client.post(f"{API}/hub", json={"callback": "file:///etc/passwd"}).status_code == 400
    assert rom.client.post(f"{API}/hub", json={"callback": "http://x", "query": "a"}).status_code == 400
    assert rom.client.delete(f"{API}/hub/{hub_id}").status_code == 204
    assert rom.client.delete(f"{API}/hub/{hub_id}").status_code == 404


def test_metrics_count_orders_by_state(rom: RomUnderTest) -> None:
    waiting(rom, 800)
    text = rom.client.get("/metrics").text
    assert 'rom_orders{state="acknowledged"} 1.0' in text
    assert "rom_orders_submitted_total" in text


def test_kpi_baseline_failure_rolls_back_and_missing_gnmi_is_remarked(rom: RomUnderTest) -> None:
    # Ethernet2 on pe1 goes down behind ROM's back: the subinterface's oper-status check must fail.
    from lab.support import netconf_connect

    ep = rom.fleet.endpoint("pe1")
    down = (
        '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><interfaces xmlns="http://openconfig.net/yang/'
        'interfaces"><interface><name>Ethernet2</name><config><enabled>false</enabled></config></interface>'
        "</interfaces></config>"
    )
    with netconf_connect(ep.host, ep.netconf_port) as m:
        m.edit_config(target="candidate", config=down)
        m.commit()
        before = m.get_config(source="running").data_xml
    failed = wait_state(
        rom, post(rom, order(l3vpn_item("1", "pe1", "VK", 900)))["id"], {"completed", "failed"}
    )
    assert failed["state"] == "failed"
    assert any("subinterface-oper-up" in n["text"] for n in failed["note"])
    with netconf_connect(ep.host, ep.netconf_port) as m:
        assert m.get_config(source="running").data_xml == before
    done = wait_state(rom, post(rom, order(l3vpn_item("1", "pe2", "VK", 901)))["id"], {"completed", "failed"})
    assert done["state"] == "completed", done.get("note")
    assert any("skipped on pe2: no gNMI endpoint" in n["text"] for n in done["note"])


def test_hrefs_are_absolute_urls_but_a_partys_stays_as_given(rom: RomUnderTest) -> None:
    base = "http://testserver"
    party = {"id": "p1", "href": "/partyManagement/v4/individual/p1", "@referredType": "Individual"}
    created = rom.client.post(ORDERS, json=order(l3vpn_item("1", "pe1", "ABS", 700), relatedParty=[party]))
    doc = created.json()
    assert created.headers["Location"] == doc["href"] == f"{base}{ORDERS}/{doc['id']}"
    item = doc["orderItem"][0]
    assert item["resource"]["href"].startswith(f"{base}/tmf-api/resourceInventoryManagement/v4/resource/")
    assert item["resourceSpecification"]["href"].startswith(f"{base}/tmf-api/resourceCatalog/v4/")
    assert next(p for p in doc["relatedParty"] if p["id"] == "p1")["href"] == party["href"]
    for listed in (
        rom.client.get(ORDERS).json()[0],
        rom.client.get(doc["href"], params={"fields": "state"}).json(),
    ):
        assert listed["href"] == doc["href"]
    cancel = rom.client.post(
        f"{API}/cancelResourceOrder", json={"resourceOrder": {"id": doc["id"], "href": doc["href"]}}
    )
    task = cancel.json()
    assert cancel.headers["Location"] == task["href"] and task["href"].startswith(
        f"{base}{API}/cancelResourceOrder/"
    )
    assert task["resourceOrder"]["href"] == doc["href"]
    assert rom.client.get(f"{API}/cancelResourceOrder").json()[0]["href"] == task["href"]
