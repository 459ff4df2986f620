"""modify, delete and noChange items on real simulators: what reaches the device, what the
inventory and the pools say afterwards, and that a failed modify leaves both as they were."""

from __future__ import annotations

from typing import Any

import httpx
from lxml import etree

from drift.reconcile import reconcile
from tests.integration.conftest import ORDERS, RomUnderTest, l3vpn_item, order
from tests.integration.test_api_orders import post, wait_state

RESOURCES = "/tmf-api/resourceInventoryManagement/v4/resource"
NS = {"ni": "http://openconfig.net/yang/network-instance", "if": "http://openconfig.net/yang/interfaces"}


def running(rom: RomUnderTest, device: str) -> etree._Element:
    return rom.fleet.call(lambda f: etree.fromstring(etree.tostring(f.device(device).datastore.running)))


def subinterfaces(tree: etree._Element) -> list[str]:
    return [str(x) for x in tree.xpath("//if:subinterface/if:index/text()", namespaces=NS)]


def vrf_members(tree: etree._Element, vrf: str) -> list[str]:
    path = f"//ni:network-instance[ni:name='{vrf}']/ni:interfaces/ni:interface/ni:id/text()"
    return sorted(str(x) for x in tree.xpath(path, namespaces=NS))


def on(action: str, resource_id: str, **values: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {"id": resource_id}
    if values:
        resource["resourceCharacteristic"] = [{"name": k, "value": v} for k, v in values.items()]
    return {"id": "1", "action": action, "resource": resource}


def run(rom: RomUnderTest, *items: dict[str, Any]) -> dict[str, Any]:
    return wait_state(rom, post(rom, order(*items))["id"], {"completed", "failed"})


def two_endpoints(rom: RomUnderTest) -> tuple[str, str]:
    done = run(
        rom,
        l3vpn_item("a", "pe1", "VA", 301, "10.30.0.1"),
        l3vpn_item("b", "pe1", "VB", 302, "10.30.0.3"),
    )
    assert done["state"] == "completed", done.get("note")
    ids = {i["id"]: i["resource"]["id"] for i in done["orderItem"]}
    return ids["a"], ids["b"]


def characteristics(rom: RomUnderTest, resource_id: str) -> dict[str, Any]:
    doc = rom.client.get(f"{RESOURCES}/{resource_id}").json()
    return {c["name"]: c["value"] for c in doc["resourceCharacteristic"]}


def test_modify_no_change_and_delete(rom: RomUnderTest) -> None:
    first, second = two_endpoints(rom)

    modified = run(rom, on("modify", first, description="moved to gold", routeDistinguisher="65000:77"))
    assert modified["state"] == "completed", modified.get("note")
    assert modified["orderItem"][0]["resource"]["id"] == first
    tree = running(rom, "pe1")
    rd = tree.xpath("//ni:network-instance[ni:name='VA']//ni:route-distinguisher/text()", namespaces=NS)
    assert rd == ["65000:77"]
    descriptions = tree.xpath(
        "//if:subinterface[if:index='301']/if:config/if:description/text()", namespaces=NS
    )
    assert descriptions == ["moved to gold"]
    assert characteristics(rom, first)["description"] == "moved to gold"

    before = etree.tostring(running(rom, "pe1"))
    unchanged = run(rom, on("noChange", second))
    assert unchanged["state"] == "completed" and etree.tostring(running(rom, "pe1")) == before

    deleted = run(rom, on("delete", first))
    assert deleted["state"] == "completed", deleted.get("note")
    tree = running(rom, "pe1")
    assert "301" not in subinterfaces(tree) and "302" in subinterfaces(tree)
    assert vrf_members(tree, "VA") == [] and vrf_members(tree, "VB") == ["Ethernet2.302"]
    assert rom.client.get(f"{RESOURCES}/{first}").status_code == 404
    assert characteristics(rom, second)["vlanId"] == 302

    again = run(rom, l3vpn_item("c", "pe1", "OTHER", 301, "10.30.0.9"))  # vlan 301 went back to the pool
    assert again["state"] == "completed", again.get("note")

    last = run(rom, on("delete", second))
    assert last["state"] == "completed", last.get("note")
    tree = running(rom, "pe1")
    assert "302" not in subinterfaces(tree)
    assert not tree.xpath("//ni:network-instance[ni:name='VB' or ni:name='VA']", namespaces=NS)


def test_failed_modify_leaves_device_and_inventory_as_they_were(rom: RomUnderTest) -> None:
    first, _ = two_endpoints(rom)
    before = etree.tostring(running(rom, "pe1"))
    fault = {"kind": "fail-commit", "device": "pe1", "count": 1}
    assert httpx.post(f"{rom.fleet.control_url}/faults", json=fault, timeout=10).status_code in (200, 201)
    failed = run(rom, on("modify", first, description="never"))
    assert failed["state"] == "failed"
    assert etree.tostring(running(rom, "pe1")) == before
    assert characteristics(rom, first)["description"] == ""


def test_refusals_are_tmf_errors(rom: RomUnderTest) -> None:
    first, _ = two_endpoints(rom)
    cases = [
        (on("modify", first, vlanId=999), 422, "modify cannot change vlanId"),
        (on("delete", "no-such-resource"), 422, "resource no-such-resource is not in the inventory"),
        ({"id": "1", "action": "delete", "resource": {}}, 400, "delete needs resource.id"),
        (on("delete", first, description="x"), 400, "takes no resourceCharacteristic"),
    ]
    for item, status, reason in cases:
        response = rom.client.post(ORDERS, json=order(item))
        assert response.status_code == status, response.text
        assert reason in response.json()["reason"] + response.json().get("message", "")
    cycle = order(
        {
            **l3vpn_item("a", "pe1", "X", 401),
            "orderItemRelationship": [{"id": "b", "relationshipType": "dependsOn"}],
        },
        {
            **l3vpn_item("b", "pe2", "X", 401),
            "orderItemRelationship": [{"id": "a", "relationshipType": "dependsOn"}],
        },
    )
    response = rom.client.post(ORDERS, json=cycle)
    assert response.status_code == 400 and "cycle" in response.text
    assert rom.client.get(ORDERS).headers["X-Total-Count"] == "1"  # only the setup order was written


def test_depends_on_orders_commits(rom: RomUnderTest) -> None:
    transport = l3vpn_item("transport", "pe1", "DEP", 501)
    ran = {
        **l3vpn_item("ran", "pe2", "DEP", 501),
        "orderItemRelationship": [{"id": "transport", "relationshipType": "dependsOn"}],
    }
    done = run(rom, ran, transport)
    assert done["state"] == "completed", done.get("note")
    commits = rom.fleet.call(lambda f: {d: f.device(d).datastore.last_change for d in ("pe1", "pe2")})
    assert commits["pe1"] < commits["pe2"]


def test_partial_order_keeps_what_succeeded(rom: RomUnderTest) -> None:
    before = etree.tostring(running(rom, "pe2"))
    fault = {"kind": "fail-commit", "device": "pe2", "count": 1}
    assert httpx.post(f"{rom.fleet.control_url}/faults", json=fault, timeout=10).status_code in (200, 201)
    items = (l3vpn_item("ok", "pe1", "PA", 601), l3vpn_item("bad", "pe2", "PB", 602))
    done = wait_state(
        rom, post(rom, order(*items, partialAllowed=True))["id"], {"completed", "failed", "partial"}
    )
    assert done["state"] == "partial", done.get("note")
    states = {i["id"]: i["state"] for i in done["orderItem"]}
    assert states == {"ok": "completed", "bad": "failed"}
    assert any("orderItem bad" in n["text"] for n in done["note"])
    assert "601" in subinterfaces(running(rom, "pe1"))
    assert etree.tostring(running(rom, "pe2")) == before
    ok = next(i for i in done["orderItem"] if i["id"] == "ok")
    assert characteristics(rom, ok["resource"]["id"])["vlanId"] == 601
    retry = run(rom, l3vpn_item("bad", "pe2", "PB", 602))  # the failed item's VLAN went back to the pool
    assert retry["state"] == "completed", retry.get("note")


def test_all_or_nothing_without_partial(rom: RomUnderTest) -> None:
    before = etree.tostring(running(rom, "pe1"))
    fault = {"kind": "fail-commit", "device": "pe2", "count": 1}
    assert httpx.post(f"{rom.fleet.control_url}/faults", json=fault, timeout=10).status_code in (200, 201)
    done = run(rom, l3vpn_item("ok", "pe1", "PA", 601), l3vpn_item("bad", "pe2", "PB", 602))
    assert done["state"] == "failed"
    assert {i["state"] for i in done["orderItem"]} == {"failed"}
    assert etree.tostring(running(rom, "pe1")) == before


def test_endpoints_sharing_a_vrf(rom: RomUnderTest) -> None:
    first, second = (
        run(rom, l3vpn_item("a", "pe1", "SHARED", 301, "10.30.0.1")),
        run(rom, l3vpn_item("b", "pe1", "SHARED", 302, "10.30.0.3")),  # read back with a's member
    )
    assert (first["state"], second["state"]) == ("completed", "completed"), second.get("note")
    both = run(
        rom,
        l3vpn_item("c", "pe1", "SHARED", 303, "10.30.0.5"),
        l3vpn_item("d", "pe1", "SHARED", 304, "10.30.0.7"),
    )
    assert both["state"] == "completed", both.get("note")
    assert vrf_members(running(rom, "pe1"), "SHARED") == [f"Ethernet2.{v}" for v in (301, 302, 303, 304)]
    gone = run(rom, on("delete", first["orderItem"][0]["resource"]["id"]))
    assert gone["state"] == "completed", gone.get("note")
    tree = running(rom, "pe1")
    assert vrf_members(tree, "SHARED") == ["Ethernet2.302", "Ethernet2.303", "Ethernet2.304"]
    assert "301" not in subinterfaces(tree)
    changed = run(rom, on("modify", second["orderItem"][0]["resource"]["id"], description="gold"))
    assert changed["state"] == "completed", changed.get("note")
    path = "//if:subinterface[if:index='302']/if:config/if:description/text()"
    assert running(rom, "pe1").xpath(path, namespaces=NS) == ["gold"]
    assert vrf_members(running(rom, "pe1"), "SHARED") == ["Ethernet2.302", "Ethernet2.303", "Ethernet2.304"]


def test_a_shared_vrf_is_in_sync(rom: RomUnderTest) -> None:
    done = run(
        rom,
        l3vpn_item("a", "pe1", "SHARED", 301, "10.30.0.1"),
        l3vpn_item("b", "pe1", "SHARED", 302, "10.30.0.3"),
    )
    assert done["state"] == "completed", done.get("note")
    ids = sorted(item["resource"]["id"] for item in done["orderItem"])
    report = reconcile(rom.ctx, device="pe1")
    assert sorted(r.resource_id for r in report if r.resource_id) == ids  # both compared, not skipped
    assert [(r.resource_name, r.differences) for r in report if not r.in_sync] == []
    one = reconcile(rom.ctx, resource_id=ids[0])
    assert [(r.resource_id, r.in_sync) for r in one] == [(ids[0], True)]


def test_delete_beside_no_change_keeps_the_shared_vrf(rom: RomUnderTest) -> None:
    done = run(
        rom,
        l3vpn_item("a", "pe1", "SHARED", 301, "10.30.0.1"),
        l3vpn_item("b", "pe1", "SHARED", 302, "10.30.0.3"),
    )
    first, second = (i["resource"]["id"] for i in done["orderItem"])
    both = run(rom, on("delete", first), {**on("noChange", second), "id": "2"})
    assert both["state"] == "completed", both.get("note")
    assert vrf_members(running(rom, "pe1"), "SHARED") == ["Ethernet2.302"]
