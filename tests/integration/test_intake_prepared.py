"""Intake's statements on the driver's cursor (`core.db.Prepared`): the order row reads back through
the ORM as SQLAlchemy stored it; a re-submitted order replays the first one's very document, by the
look-up in the transaction and by the one after a lost race on the key; waiting orders' claims are
found whatever the lengths of the look-up's lists; the resources on devices read as plain rows hold
what the ORM reads. On SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError

from core.db import Base
from core.errors import Conflict
from core.settings import Settings
from core.tmf652 import ResourceOrderCreate
from inventory.context import Context
from inventory.intents import resources_on
from inventory.records import Device, Resource, ResourceRow, list_resources, upsert_device
from lab.postgres import PostgresServer
from rom import orders
from rom.order_store import ClaimRow, OrderRow
from tests.integration.conftest import l3vpn_item, order, qos_item

START = "2099-01-01T00:00:00Z"


def test_intake_rows_replay_and_claims_on_sqlite(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    check(Context.create(Settings(var_dir=tmp_path)), monkeypatch)


def test_intake_rows_replay_and_claims_on_postgres(
    postgres: PostgresServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    check(Context.create(Settings(var_dir=tmp_path, database_url=postgres.url)), monkeypatch)


def check(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    Base.metadata.create_all(ctx.engine)
    with ctx.transaction() as session:
        for name in ("pe1", "pe2", "pe3"):
            upsert_device(session, Device(name=name, host="127.0.0.1", port=1, platform="rom-router"))
    try:
        stored_as_sqlalchemy_reads_it(ctx)
        replayed(ctx, monkeypatch)
        claims_found(ctx)
        resources_read(ctx)
    finally:
        ctx.engine.dispose()


def submit(ctx: Context, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    return orders.submit_order(ctx, ResourceOrderCreate.model_validate(body), "cid-1", "alice")


def stored_as_sqlalchemy_reads_it(ctx: Context) -> None:
    body = order(l3vpn_item("1", "pe1", "VA", 301), externalId="P-1", priority=2, requestedStartDate=START)
    doc, replay = submit(ctx, body)
    with ctx.sessions() as session:
        row = session.get(OrderRow, doc["id"])
        assert row is not None and not replay
        assert (row.state, row.external_id, row.priority, row.devices) == ("acknowledged", "P-1", 2, ["pe1"])
        assert (row.cancel_requested, row.attempts, row.owner, row.lease_until) == (False, 0, None, None)
        assert (row.submitted_by, row.correlation_id) == ("alice", "cid-1")
        assert row.idempotency_key == "externalId:P-1"
        assert row.doc == doc and row.request["orderItem"][0]["id"] == "1"
        assert row.requested_start == datetime(2099, 1, 1, tzinfo=UTC)
        assert row.order_date.tzinfo is UTC and row.updated.tzinfo is UTC
        assert row.order_date.isoformat().replace("+00:00", "Z")[:19] == doc["orderDate"][:19]
        claims = session.scalars(select(ClaimRow).where(ClaimRow.order_id == doc["id"])).all()
        assert {c.family for c in claims} >= {"identity"} and all(c.device == "pe1" for c in claims)


def replayed(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    body = order(l3vpn_item("1", "pe2", "VB", 302), externalId="P-2", requestedStartDate=START)
    first, _ = submit(ctx, body)
    assert submit(ctx, body) == (first, True)  # found in the intake's transaction
    with pytest.raises(Conflict, match="different body"):
        submit(ctx, {**body, "description": "changed"})

    def lost_race(*_: Any) -> Any:
        raise IntegrityError("INSERT", {}, Exception("duplicate idempotency key"))

    monkeypatch.setattr(orders, "_insert", lost_race)  # another intake wrote the key first
    assert submit(ctx, body) == (first, True)
    with pytest.raises(Conflict, match="different body"):
        submit(ctx, {**body, "description": "changed"})
    with pytest.raises(Conflict, match="is being created"):
        submit(ctx, {**body, "externalId": "P-none"})
    monkeypatch.undo()


def claims_found(ctx: Context) -> None:
    """Held leaves and identities over 1 to 3 devices (the look-up's lists padded to 1, 2, 4)."""
    waiting = order(qos_item("1", "pe1", "Q1"), qos_item("2", "pe2", "Q2"), qos_item("3", "pe3", "Q3"))
    submit(ctx, {**waiting, "requestedStartDate": START})
    for n, devices in enumerate((["pe3"], ["pe2", "pe3"], ["pe1", "pe2", "pe3"])):
        repeat = order(*(qos_item(str(i), d, f"Q{d[-1]}") for i, d in enumerate(devices)))
        with pytest.raises(Conflict, match=r"\(not finished\) creates"):
            submit(ctx, {**repeat, "requestedStartDate": START, "description": str(n)})
    other = order(qos_item("1", "pe1", "Q9"), qos_item("2", "pe2", "Q8"), qos_item("3", "pe3", "Q7"))
    assert submit(ctx, {**other, "requestedStartDate": START})[1] is False  # other queues: no conflict


def resources_read(ctx: Context) -> None:
    """Single-role resources on the devices, then multi-role ones with a role there, oldest first."""
    core = {"sst": 1, "sd": "000001", "dnn": "internet", "upfDevice": "pe2", "smfDevice": "pe3"}
    with ctx.transaction() as session:
        session.add(
            Resource(id="r-core", name="core", spec_id="slice-core", device="pe2", characteristics=core)
        )
        session.add(
            Resource(id="r-vpn", name="vpn", spec_id="l3vpn", device="pe3", characteristics={"vrf": "V"})
        )
    with ctx.sessions() as session:
        orm = {r.id: ResourceRow.of(r) for r in list_resources(session)}
        assert [r.id for r in resources_on(ctx, session, ["pe3"])] == ["r-vpn", "r-core"]  # role smf
        assert resources_on(ctx, session, ["pe1", "pe2", "pe3"]) == [orm["r-core"], orm["r-vpn"]]
        assert resources_on(ctx, session, ["pe1"]) == []


def test_waiting_orders_claims_are_looked_up_by_value_on_sqlite(tmp_path: Any) -> None:
    """Every order waiting on a router holds its interface's name with one value: intake's look-up
    of the waiting orders' claims searches (device, path, value), so that those rows are passed
    over in the index (migration 0009), not read one by one (intake's cost grew with them)."""
    ctx = Context.create(Settings(var_dir=tmp_path))
    with ctx.transaction() as session:
        upsert_device(session, Device(name="pe1", host="127.0.0.1", port=1, platform="rom-router"))
    for vlan in (401, 402):
        submit(ctx, order(l3vpn_item("1", "pe1", f"V{vlan}", vlan), requestedStartDate=START))
    statements: list[str] = []
    ctx.engine.dispose()  # the next connections trace their statements
    event.listen(ctx.engine, "connect", lambda raw, _: raw.set_trace_callback(statements.append))
    submit(ctx, order(l3vpn_item("1", "pe1", "V403", 403), requestedStartDate=START))
    (lookup,) = [s for s in statements if "FROM order_claims JOIN" in s]
    with ctx.engine.connect() as conn:
        plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {lookup}"))
    ctx.engine.dispose()
    assert "order_claims USING INDEX ix_order_claims_device_path_value" in plan, plan
