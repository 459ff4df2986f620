"""A `kill -9`-ed process's order leases, device locks and relay lease pass on at once
(core/liveness.py), not when its lease runs out; device lock contention is an answer, not a
database error; a recovered order's step log reads as one run."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from core import outbox
from core.db import utcnow
from core.liveness import is_dead, owner_id
from core.tmf652 import ResourceOrderCreate
from inventory.context import Context
from inventory.records import Device, upsert_device
from lab.postgres import PostgresServer
from rom import order_store
from rom.orders import submit_order
from rom.worker import OrderWorker
from tests.integration.conftest import l3vpn_item, make_settings, order

pytestmark = pytest.mark.integration
CHILD = "from core.liveness import owner_id; import sys, time; print(owner_id(), flush=True); time.sleep(600)"


@pytest.fixture(params=["sqlite", "postgresql"])
def ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Context]:
    overrides = {}
    if request.param == "postgresql":
        server = request.getfixturevalue("postgres")
        assert isinstance(server, PostgresServer)
        overrides["database_url"] = server.url
    context = Context.create(make_settings(tmp_path, **overrides))
    with context.transaction() as session:
        for name in ("pe1", "pe2"):
            upsert_device(session, Device(name=name, host="127.0.0.1", port=1, platform="rom-router"))
    yield context
    context.engine.dispose()


def killed_owner() -> str:
    """The owner id of a process that ran and was killed with SIGKILL."""
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    owner = child.stdout.readline().strip()
    assert not is_dead(owner)  # alive while it runs
    child.send_signal(signal.SIGKILL)
    child.wait()
    return owner


def test_liveness_knows_dead_processes_on_this_host_only() -> None:
    owner = killed_owner()
    assert is_dead(owner)
    assert not is_dead(owner_id())
    _host, pid, start, nonce = owner.rsplit(":", 3)
    assert not is_dead(f"another-host:{pid}:{start}:{nonce}")  # its lease decides
    assert not is_dead("legacy-host:123:abcd")  # an owner written before liveness: its lease decides


def _order(ctx: Context, order_id: str, devices: list[str]) -> order_store.OrderRow:
    """An order as intake stores it (`order_id` is its externalId), acknowledged."""
    vlan = 100 + int(order_id.removeprefix("o"))  # orders own different subinterfaces
    items = [l3vpn_item(str(i), d, f"V{vlan}", vlan) for i, d in enumerate(devices, 1)]
    body = ResourceOrderCreate.model_validate(order(*items, externalId=order_id))
    created, _ = submit_order(ctx, body, "c")
    with ctx.sessions() as session:
        row = order_store.get_order(session, created["id"])
        assert row is not None
        return row


def test_a_held_device_lock_refuses_a_claim_without_a_database_error(ctx: Context) -> None:
    until = utcnow() + timedelta(seconds=30)
    first, second = _order(ctx, "o1", ["pe1", "pe2"]), _order(ctx, "o2", ["pe2"])
    with ctx.transaction() as session:
        assert order_store.claim_order(session, first, "a", until)
    with pytest.raises(order_store.DeviceBusy), ctx.transaction() as session:
        order_store.claim_order(session, second, "b", until)
    with ctx.sessions() as session:
        assert order_store.get_order(session, second.id).owner is None  # type: ignore[union-attr]
        assert order_store.busy_devices(session) == {"pe1", "pe2"}


def test_postgres_logs_no_duplicate_key_for_lock_contention(postgres: PostgresServer, tmp_path: Path) -> None:
    ctx = Context.create(make_settings(tmp_path, database_url=postgres.url))
    with ctx.transaction() as session:
        upsert_device(session, Device(name="pe1", host="127.0.0.1", port=1, platform="rom-router"))
    try:
        until = utcnow() + timedelta(seconds=30)
        rows = [_order(ctx, f"o{i}", ["pe1"]) for i in range(5)]
        for row in rows:
            try:
                with ctx.transaction() as session:
                    order_store.claim_order(session, row, "a", until)
            except order_store.DeviceBusy:
                pass
    finally:
        ctx.engine.dispose()
    log = (postgres.dir / "log").read_text(errors="replace")
    assert "duplicate key" not in log


def test_a_dead_process_relay_lease_passes_at_once(ctx: Context) -> None:
    now = utcnow()
    dead = killed_owner()
    with ctx.transaction() as session:
        assert outbox.take_lease(session, "outbox-relay", dead, now, now + timedelta(seconds=15))
    alive = owner_id()
    with ctx.transaction() as session:
        assert outbox.take_lease(session, "outbox-relay", alive, now, now + timedelta(seconds=15))
    with ctx.transaction() as session:  # a live holder keeps it until its lease runs out
        assert not outbox.take_lease(
            session, "outbox-relay", "someone-else", now, now + timedelta(seconds=15)
        )


def test_orders_of_a_killed_process_resume_before_its_lease_would_run_out(ctx: Context) -> None:
    """Default lease (30 s): the orders come back long before, and their step log has one `started`."""
    lease = 30.0
    dead = killed_owner()
    row = _order(ctx, "o1", ["pe1"])
    with ctx.transaction() as session:
        assert order_store.claim_order(session, row, dead, utcnow() + timedelta(seconds=lease))
        claimed = order_store.get_order(session, row.id)
        assert claimed is not None
        claimed.state = "inProgress"
        order_store.add_step(session, row.id, "started", attempt=1, owner=dead)
    worker = OrderWorker(ctx, threads=1, lease_seconds=lease)
    begun = time.monotonic()
    worker.start()
    try:
        while True:
            with ctx.sessions() as session:
                state = order_store.get_order(session, row.id).state  # type: ignore[union-attr]
                steps = [s.step for s in order_store.steps(session, row.id)]
            if state in ("completed", "failed"):
                break
            assert time.monotonic() - begun < lease * 0.66, f"still {state} ({steps}): waited for the lease"
            time.sleep(0.1)
    finally:
        worker.stop()
    assert steps.count("started") == 1 and "requeued" in steps and "resumed" in steps, steps


def test_a_look_takes_the_runnable_orders_most_urgent_first(ctx: Context) -> None:
    """Priority 0 first, an order without one last, then the oldest; claimed, future, final left out
    (`runnable_orders` reads them in the order of the partial index on the runnable orders)."""
    ids = {}
    for n, (priority, extra) in enumerate(
        [
            (None, {}),
            (2, {}),
            (0, {}),
            (None, {}),
            (0, {"requestedStartDate": "2099-01-01T00:00:00Z"}),
            (1, {}),
            (1, {"requestedStartDate": "2000-01-01T00:00:00Z"}),  # its start has come
        ]
    ):
        body = order(l3vpn_item("1", "pe1", f"P{n}", 300 + n), priority=priority, **extra)
        ids[n] = submit_order(ctx, ResourceOrderCreate.model_validate(body), "c")[0]["id"]
    with ctx.transaction() as session:
        claimed = order_store.get_order(session, ids[5])
        assert claimed is not None
        assert order_store.claim_order(session, claimed, "a", utcnow() + timedelta(seconds=30))
    with ctx.sessions() as session:
        runnable = order_store.runnable_orders(session, utcnow(), limit=10)
    assert [r.id for r in runnable] == [ids[2], ids[6], ids[1], ids[0], ids[3]]
    assert {r.state for r in runnable} == {"acknowledged"} and runnable[0].devices == ["pe1"]
    with ctx.sessions() as session:  # the first few only: no more than asked from either index
        assert [r.id for r in order_store.runnable_orders(session, utcnow(), limit=2)] == [ids[2], ids[6]]


def test_postgres_claimers_take_the_most_urgent_order_with_free_devices_without_colliding(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    """The queue pick (`claim_next`): a claimer skips the order another claimer holds in its
    transaction and takes the next; an order whose device is locked is left; none left: None."""
    ctx = Context.create(make_settings(tmp_path, database_url=postgres.url))
    try:
        with ctx.transaction() as session:
            for name in ("pe1", "pe2"):
                upsert_device(session, Device(name=name, host="127.0.0.1", port=1, platform="rom-router"))
        ids = []
        for n, (device, priority) in enumerate([("pe1", 2), ("pe1", 0), ("pe2", 1)]):
            body = order(l3vpn_item("1", device, f"Q{n}", 400 + n), priority=priority)
            ids.append(submit_order(ctx, ResourceOrderCreate.model_validate(body), "c")[0]["id"])
        now, until = utcnow(), utcnow() + timedelta(seconds=30)
        with ctx.transaction() as first:
            taken = order_store.claim_next(first, "a", until, now)
            assert taken is not None and taken.id == ids[1] and taken.owner == "a"
            with ctx.transaction() as second:  # while the first claim is not committed
                other = order_store.claim_next(second, "b", until, now)
                assert other is not None and other.id == ids[2]
        with ctx.transaction() as session:  # ids[0] waits on pe1, held by ids[1]
            assert order_store.claim_next(session, "c", until, now) is None
        with ctx.sessions() as session:
            assert order_store.busy_devices(session) == {"pe1", "pe2"}
            assert order_store.get_order(session, ids[0]).owner is None  # type: ignore[union-attr]
    finally:
        ctx.engine.dispose()
