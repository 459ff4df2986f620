"""One owner per device path, through the TMF652 API against real simulators: a repeat of a live
resource and a path another resource holds with another value are 409s naming the owner and the
path, before anything is reserved or pushed; shared identical values and externalId replays work."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from lxml import etree
from sqlalchemy import delete, select

from inventory.pool_store import ReservationRow
from inventory.records import Resource
from lab.support import REPO
from rom.order_store import ClaimRow
from tests.integration.conftest import ORDERS, RomUnderTest, l3vpn_item, order, qos_item
from tests.integration.test_api_orders import LATER, post, wait_state
from tests.integration.test_order_actions import on, run, running


def reservations(rom: RomUnderTest) -> list[tuple[str, str, str, int]]:
    with rom.ctx.sessions() as session:
        rows = session.scalars(select(ReservationRow)).all()
        return sorted((r.pool, r.scope, r.value, r.amount) for r in rows)


def resource_of(done: dict[str, Any], item_id: str = "1") -> dict[str, Any]:
    assert done["state"] == "completed", done.get("note")
    return next(i["resource"] for i in done["orderItem"] if i["id"] == item_id)


def refused(rom: RomUnderTest, body: dict[str, Any]) -> str:
    response = rom.client.post(ORDERS, json=body)
    assert response.status_code == 409, response.text
    error = response.json()
    assert error["code"] == "409" and error["@type"] == "Error"
    return str(error["message"])


def test_a_repeated_resource_is_refused_naming_it_and_nothing_is_reserved_or_pushed(
    rom: RomUnderTest,
) -> None:
    first = resource_of(run(rom, {**qos_item("1", "pe1", "GOLD")}))
    name = rom.client.get(f"/tmf-api/resourceInventoryManagement/v4/resource/{first['id']}").json()["name"]
    held, before = reservations(rom), etree.tostring(running(rom, "pe1"))
    orders_before = rom.client.get(ORDERS).headers["X-Total-Count"]

    message = refused(rom, order(qos_item("1", "pe1", "GOLD")))
    assert f"repeats resource {first['id']} ({name})" in message
    assert "on pe1" in message  # the new item renders only once its scheduler sequence is reserved
    assert reservations(rom) == held
    assert etree.tostring(running(rom, "pe1")) == before
    assert rom.client.get(ORDERS).headers["X-Total-Count"] == orders_before

    twice = order(qos_item("a", "pe1", "SILVER"), qos_item("b", "pe1", "SILVER"))
    assert "repeats orderItem a of this order" in refused(rom, twice)
    assert reservations(rom) == held


def test_a_shared_vrf_must_keep_its_route_distinguisher(rom: RomUnderTest) -> None:
    first = resource_of(run(rom, l3vpn_item("1", "pe1", "SHARED", 301, "10.30.0.1")))
    held = reservations(rom)
    other_rd = l3vpn_item("1", "pe1", "SHARED", 302, "10.30.0.3")
    other_rd["resource"]["resourceCharacteristic"][2]["value"] = "65000:9"
    message = refused(rom, order(other_rd))
    assert f"is owned by resource {first['id']} (SHARED@pe1:Ethernet2.301)" in message
    assert (
        "/network-instances/network-instance[name=SHARED]/config[name=SHARED]/route-distinguisher" in message
    )
    assert "'65000:1'" in message and "'65000:9'" in message
    assert reservations(rom) == held

    second = resource_of(run(rom, l3vpn_item("1", "pe1", "SHARED", 302, "10.30.0.3")))  # same RD: shared
    message = refused(rom, order(on("modify", second["id"], routeDistinguisher="65000:9")))
    assert f"resource {first['id']}" in message and "route-distinguisher" in message
    alone = resource_of(run(rom, on("delete", first["id"])), "1")
    assert alone["id"] == first["id"]
    moved = run(rom, on("modify", second["id"], routeDistinguisher="65000:9"))  # no other owner now
    assert moved["state"] == "completed", moved.get("note")


def test_an_external_id_still_replays_a_completed_order(rom: RomUnderTest) -> None:
    body = order(qos_item("1", "pe1", "BRONZE"), externalId="SOM-77")
    done = wait_state(rom, post(rom, body)["id"], {"completed", "failed"})
    assert done["state"] == "completed", done.get("note")
    replay = rom.client.post(ORDERS, json=body)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replay"] == "true"
    assert replay.json()["id"] == done["id"]
    assert "repeats resource" in refused(rom, order(qos_item("1", "pe1", "BRONZE"), externalId="SOM-78"))


def test_an_order_not_finished_yet_owns_what_it_creates(rom: RomUnderTest) -> None:
    """Two quick submits of one order: the second is refused while the first waits."""
    first = post(rom, order(qos_item("1", "pe1", "WAIT"), requestedStartDate=LATER))
    held = reservations(rom)
    message = refused(rom, order(qos_item("1", "pe1", "WAIT")))
    assert f"which resourceOrder {first['id']} (not finished) creates" in message
    assert reservations(rom) == held
    cancelled = rom.client.delete(f"{ORDERS}/{first['id']}")
    assert cancelled.status_code == 409  # waiting orders are cancelled, not deleted


def test_a_delete_and_an_add_may_recreate_a_resource_in_one_order(rom: RomUnderTest) -> None:
    """The resource an order deletes owns nothing for that order: its add may take the same name."""
    first = resource_of(run(rom, qos_item("1", "pe1", "MOVE")))
    bigger = qos_item("new", "pe1", "MOVE")
    bigger["resource"]["resourceCharacteristic"][3]["value"] = 20
    again = run(rom, {**on("delete", first["id"]), "id": "old"}, bigger)
    assert again["state"] == "completed", again.get("note")


def test_existing_duplicates_are_flagged(rom: RomUnderTest) -> None:
    """A repeat made before intake refused it (written straight to the inventory here) is listed by
    `rom inventory owners` with the leaf the two want differently; exit 1."""
    first = resource_of(run(rom, qos_item("1", "pe1", "OLD")))
    with rom.ctx.transaction() as session:
        row = session.get(Resource, first["id"])
        assert row is not None
        twin = {**row.characteristics, "priority": 7}
        session.add(
            Resource(id="twin", name=row.name, spec_id=row.spec_id, device="pe1", characteristics=twin)
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROM_")}
    done = subprocess.run(
        [sys.executable, "-m", "cli", "inventory", "owners"],
        env={**env, "ROM_VAR_DIR": str(rom.ctx.settings.var_dir), "COLUMNS": "100"},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    name = "(qos-OLD@pe1:Ethernet2)"
    assert lines[0] == f"conflict: resource {first['id']} {name}, resource twin {name} repeat one resource"
    policy = "/openconfig-qos:qos/scheduler-policies/scheduler-policy[name=ROM-EGRESS-Ethernet2]/schedulers"
    assert lines[1].startswith(f"conflict: {policy}/scheduler[sequence=")  # the queue's weight (priority)
    assert "/config/weight on pe1: " in lines[1], lines[1]
    assert """want '"0"'""" in lines[1] and """want '"7"'""" in lines[1] and len(lines) == 2


def test_the_executor_checks_again_what_appeared_since_intake(rom: RomUnderTest) -> None:
    """A resource adopted through TMF639 while an order waits takes the VRF's RD first: the order,
    once it runs, fails naming that resource, and pushes nothing."""
    waiting = post(rom, order(l3vpn_item("1", "pe1", "LATE", 311, "10.31.0.1"), requestedStartDate=LATER))
    other_rd = l3vpn_item("x", "pe1", "LATE", 312, "10.31.0.3")["resource"]["resourceCharacteristic"]
    other_rd[2]["value"] = "65000:9"
    adopted = rom.client.post(
        "/tmf-api/resourceInventoryManagement/v4/resource",
        json={
            "name": "late",
            "resourceSpecification": {"id": "l3vpn-endpoint"},
            "resourceCharacteristic": other_rd,
        },
    )
    assert adopted.status_code == 201, adopted.text  # the inventory does not see unfinished orders
    notes = released_and_failed(rom, waiting["id"])
    assert f"is owned by resource {adopted.json()['id']}" in notes and "route-distinguisher" in notes


def test_the_executor_checks_again_a_resource_changed_since_intake(rom: RomUnderTest) -> None:
    """An order joins a live resource's VRF with its RD; while it waits, a TMF639 PATCH gives that
    resource another RD (intake has already read it as it was): the order, once it runs, fails
    naming the resource, and pushes nothing."""
    first = resource_of(run(rom, l3vpn_item("1", "pe1", "MOVED", 321, "10.32.0.1")))
    waiting = post(rom, order(l3vpn_item("1", "pe1", "MOVED", 322, "10.32.0.3"), requestedStartDate=LATER))
    url = f"/tmf-api/resourceInventoryManagement/v4/resource/{first['id']}"
    names = [c["name"] for c in rom.client.get(url).json()["resourceCharacteristic"]]
    rd = f"/resourceCharacteristic/{names.index('routeDistinguisher')}/value"
    patched = rom.client.patch(
        url,
        json=[{"op": "replace", "path": rd, "value": "65000:9"}],
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert patched.status_code == 200, patched.text
    notes = released_and_failed(rom, waiting["id"])
    assert f"is owned by resource {first['id']}" in notes and "'65000:9'" in notes, notes


def released_and_failed(rom: RomUnderTest, order_id: str) -> str:
    """Start the waiting order now: it fails without touching pe1; its notes."""
    before = etree.tostring(running(rom, "pe1"))
    released = rom.client.patch(
        f"{ORDERS}/{order_id}",
        json={"requestedStartDate": "2000-01-01T00:00:00Z"},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert released.status_code == 200, released.text
    done = wait_state(rom, order_id, {"completed", "failed"})
    assert done["state"] == "failed"
    assert etree.tostring(running(rom, "pe1")) == before
    return " ".join(n["text"] for n in done.get("note", []))


def claim_rows(rom: RomUnderTest, order_id: str) -> list[tuple[str, str]]:
    with rom.ctx.sessions() as session:
        rows = session.scalars(select(ClaimRow).where(ClaimRow.order_id == order_id)).all()
        return sorted((r.device, r.family) for r in rows)


def test_a_waiting_order_s_claims_are_written_once_and_go_when_it_ends(rom: RomUnderTest) -> None:
    """Intake writes what a waiting order's add will own (its identity and leaves on its device);
    the rows are gone once the order has ended, when the resource owns them."""
    waiting = post(rom, order(qos_item("1", "pe1", "ROWS"), requestedStartDate=LATER))
    rows = claim_rows(rom, waiting["id"])
    assert ("pe1", "identity") in rows and ("pe1", "gnmi") in rows
    vrf = post(rom, order(l3vpn_item("1", "pe1", "ROWS", 311, "10.31.0.1"), requestedStartDate=LATER))
    shared = post(rom, order(l3vpn_item("1", "pe1", "ROWS", 312, "10.31.0.5"), requestedStartDate=LATER))
    assert shared["state"] == "acknowledged"  # the VRF's leaves with the same values are shared
    other_rd = l3vpn_item("1", "pe1", "ROWS", 313, "10.31.0.9")
    other_rd["resource"]["resourceCharacteristic"][2]["value"] = "65000:9"
    message = refused(rom, order(other_rd))
    assert f"which resourceOrder {vrf['id']} (not finished) creates" in message
    assert "route-distinguisher" in message
    done = run(rom, qos_item("1", "pe2", "ROWS"))
    assert claim_rows(rom, done["id"]) == []


def test_an_order_from_before_the_claims_table_still_owns_what_it_creates(rom: RomUnderTest) -> None:
    """An order left waiting by an older ROM has one "unplanned" row (migration 0004): intake plans
    it from its stored request, so a repeat is still refused naming it."""
    first = post(rom, order(qos_item("1", "pe1", "OLDER"), requestedStartDate=LATER))
    with rom.ctx.transaction() as session:
        session.execute(delete(ClaimRow).where(ClaimRow.order_id == first["id"]))
        session.add(
            ClaimRow(
                order_id=first["id"],
                item_id="",
                resource_name="",
                part=-1,
                device="",
                family="unplanned",
                path="",
                value="",
            )
        )
    message = refused(rom, order(qos_item("1", "pe1", "OLDER")))
    assert f"which resourceOrder {first['id']} (not finished) creates" in message
