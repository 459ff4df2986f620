"""The saga on real simulators: cancellation at the confirm point, and recovery after a dead worker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import select

import rom.executor
import rom.transitions
from core.db import utcnow
from core.tmf652 import CancelResourceOrderCreate, ResourceOrderCreate
from drivers.registry import driver_for
from intent.planner import participant_payloads
from inventory.audit import AuditRow
from inventory.context import Context
from inventory.store import list_devices, list_resources
from rom import store
from rom.cancel import request_cancellation
from rom.executor import execute_order, persist_id
from rom.orders import submit_order
from rom.recovery import recover_order
from sims.fleet import FleetThread, SimDeviceSpec
from tests.integration.conftest import l3vpn_item, make_settings, order, register_fleet


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[tuple[Context, FleetThread]]:
    with FleetThread([SimDeviceSpec("pe1"), SimDeviceSpec("pe2")]) as fleet:
        context = Context.create(make_settings(tmp_path))
        register_fleet(context, fleet)
        yield context, fleet
        context.engine.dispose()


def running(fleet: FleetThread, device: str) -> bytes:
    return fleet.call(lambda f: etree.tostring(f.device(device).datastore.running))  # type: ignore[no-any-return]


def submit_and_claim(context: Context, owner: str = "test") -> str:
    body = ResourceOrderCreate.model_validate(
        order(l3vpn_item("1", "pe1", "VS", 700), l3vpn_item("2", "pe2", "VS", 700))
    )
    doc, _ = submit_order(context, body, "cid")
    with context.transaction() as session:
        row = store.get_order(session, doc["id"])
        assert row is not None and store.claim_order(session, row, owner, utcnow() + timedelta(seconds=60))
    return str(doc["id"])


def test_cancel_during_push_rolls_back_every_device(
    ctx: tuple[Context, FleetThread], monkeypatch: pytest.MonkeyPatch
) -> None:
    context, fleet = ctx
    before = {d: running(fleet, d) for d in ("pe1", "pe2")}
    order_id = submit_and_claim(context)
    real_check = rom.executor.read_back
    changed_meanwhile: list[bool] = []

    def cancel_arrives_during_push(nr: Any, intended: list[rom.executor.Intended], *rest: Any) -> Any:
        changed_meanwhile.append(all(running(fleet, d) != before[d] for d in before))
        body = CancelResourceOrderCreate.model_validate({"resourceOrder": {"id": order_id}})
        assert request_cancellation(context, body, "cid")["state"] == "inProgress"
        return real_check(nr, intended, *rest)

    monkeypatch.setattr(rom.executor, "read_back", cancel_arrives_during_push)
    assert execute_order(context, order_id) == "cancelled"
    assert changed_meanwhile == [True]  # both devices held the config (confirmed commit) when it came
    assert {d: running(fleet, d) for d in before} == before
    with context.sessions() as session:
        [task] = session.query(store.CancelRow).all()
        assert task.state == "done"
        assert not list_resources(session) and not store.busy_devices(session)


def _confirmed_commit_without_confirm(context: Context, order_id: str) -> None:
    """What a worker killed right after its confirmed commit leaves on the devices."""
    edits = rom.executor.plan(context, store_request(context, order_id)).edits
    payloads = {device: p["netconf"] for device, p in participant_payloads(edits).items()}
    with context.sessions() as session:
        targets = [context.target(d) for d in list_devices(session, sorted(payloads))]
    for target in targets:
        driver = driver_for(target)
        driver.open()
        driver.stage(payloads[target.name])
        driver.commit(confirm_timeout=60, persist_id=persist_id(order_id))
        driver.close()  # a persisted confirmed commit outlives its session


def store_request(context: Context, order_id: str) -> dict[str, object]:
    with context.sessions() as session:
        row = store.get_order(session, order_id)
        assert row is not None
        return row.request


def _crash_in_progress(context: Context, order_id: str, committed: bool) -> None:
    with context.transaction() as session:
        row = store.get_order(session, order_id)
        assert row is not None
        rom.transitions.set_state(session, row, "inProgress")
        if committed:
            store.add_step(session, order_id, "committed")
        row.lease_until = utcnow() - timedelta(seconds=1)


def test_recovery_before_commit_step_cancels_and_requeues(ctx: tuple[Context, FleetThread]) -> None:
    context, fleet = ctx
    before = {d: running(fleet, d) for d in ("pe1", "pe2")}
    order_id = submit_and_claim(context, owner="dead-worker")
    _confirmed_commit_without_confirm(context, order_id)
    assert running(fleet, "pe1") != before["pe1"]
    _crash_in_progress(context, order_id, committed=False)
    assert recover_order(context, order_id) == "pending"
    assert {d: running(fleet, d) for d in before} == before
    with context.transaction() as session:
        row = store.get_order(session, order_id)
        assert row is not None and row.owner is None
        assert store.claim_order(session, row, "new-worker", utcnow() + timedelta(seconds=60))
    assert execute_order(context, order_id) == "completed"


def test_recovery_after_commit_step_confirms(ctx: tuple[Context, FleetThread]) -> None:
    context, fleet = ctx
    order_id = submit_and_claim(context, owner="dead-worker")
    _confirmed_commit_without_confirm(context, order_id)
    _crash_in_progress(context, order_id, committed=True)
    assert recover_order(context, order_id) == "completed"
    for device in ("pe1", "pe2"):
        assert not fleet.call(lambda f, d=device: f.device(d).datastore.confirmed_commit_pending)  # type: ignore[misc]
        assert b"VS" in running(fleet, device)
    with context.sessions() as session:
        assert len(list_resources(session)) == 2


def test_recovery_of_a_partial_order_keeps_the_committed_group(ctx: tuple[Context, FleetThread]) -> None:
    context, fleet = ctx
    before = running(fleet, "pe2")
    body = order(l3vpn_item("1", "pe1", "VS", 700), l3vpn_item("2", "pe2", "VS", 700), partialAllowed=True)
    doc, _ = submit_order(context, ResourceOrderCreate.model_validate(body), "cid")
    order_id = str(doc["id"])
    with context.transaction() as session:
        row = store.get_order(session, order_id)
        assert row is not None and store.claim_order(session, row, "dead", utcnow() + timedelta(seconds=60))
    _confirmed_commit_without_confirm(context, order_id)  # both groups pushed, only pe1's committed
    _crash_in_progress(context, order_id, committed=False)
    with context.transaction() as session:
        store.add_step(session, order_id, "committed", devices=["pe1"])
    assert recover_order(context, order_id) == "partial"
    assert b"VS" in running(fleet, "pe1") and running(fleet, "pe2") == before
    assert not fleet.call(lambda f: f.device("pe1").datastore.confirmed_commit_pending)
    with context.sessions() as session:
        assert [r.device for r in list_resources(session)] == ["pe1"]
        final = store.get_order(session, order_id)
        assert final is not None
        assert {i["id"]: i["state"] for i in final.doc["orderItem"]} == {"1": "completed", "2": "failed"}


def test_recovery_is_in_the_audit_trail(ctx: tuple[Context, FleetThread]) -> None:
    context, _fleet = ctx
    order_id = submit_and_claim(context, owner="dead-worker")
    _confirmed_commit_without_confirm(context, order_id)
    _crash_in_progress(context, order_id, committed=True)
    assert recover_order(context, order_id) == "completed"
    with context.sessions() as session:
        rows = session.scalars(select(AuditRow).where(AuditRow.order_id == order_id)).all()
    assert sorted((r.device, r.action, r.outcome) for r in rows) == [
        ("pe1", "confirm", "confirmed"),
        ("pe2", "confirm", "confirmed"),
    ]
    assert all(r.correlation_id == "cid" and "lost with the stopped worker" in r.diff for r in rows)
