"""A PostgreSQL restart just as an order ends: the order still completes, and its devices' changes
reach the audit trail with their diffs (the soak found them lost as "AUDIT TRAIL WRITE FAILED").
Pooled connections a restart left behind are replaced at checkout, not found dead in use."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

import rom.executor
from core.db import make_engine, utcnow
from core.tmf652 import ResourceOrderCreate
from inventory.audit import AuditRow
from inventory.context import Context
from lab.postgres import PostgresServer
from rom import order_store
from rom.orders import submit_order
from sims.fleet import FleetThread, SimDeviceSpec
from tests.integration.conftest import l3vpn_item, make_settings, order, register_fleet

pytestmark = pytest.mark.integration


def test_a_database_restart_at_the_orders_end_loses_no_audit_entry(
    postgres: PostgresServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    real_finish = rom.executor.finish_order
    restarts: list[threading.Timer] = []

    def database_restarts_first(*args: Any, **kwargs: Any) -> str:
        if not restarts:  # the devices are confirmed; the database goes away for 2 s
            postgres.halt("fast")
            restarts.append(threading.Timer(2.0, postgres.resume))
            restarts[0].start()
        return real_finish(*args, **kwargs)

    monkeypatch.setattr(rom.executor, "finish_order", database_restarts_first)
    with FleetThread([SimDeviceSpec("pe1"), SimDeviceSpec("pe2")]) as fleet:
        ctx = Context.create(make_settings(tmp_path, database_url=postgres.url))
        try:
            register_fleet(ctx, fleet)
            body = order(l3vpn_item("1", "pe1", "VS", 700), l3vpn_item("2", "pe2", "VS", 700))
            doc, _ = submit_order(ctx, ResourceOrderCreate.model_validate(body), "cid")
            with ctx.transaction() as session:
                row = order_store.get_order(session, doc["id"])
                assert row is not None
                assert order_store.claim_order(session, row, "worker", utcnow() + timedelta(seconds=60))
            with caplog.at_level(logging.WARNING):
                assert rom.executor.execute_order(ctx, doc["id"]) == "completed"
            restarts[0].join()
            with ctx.sessions() as session:
                entries = session.scalars(select(AuditRow).where(AuditRow.order_id == doc["id"])).all()
        finally:
            ctx.engine.dispose()
    assert sorted(e.device for e in entries) == ["pe1", "pe2"]
    assert all(e.outcome == "confirmed" and "VS" in e.diff for e in entries)
    messages = [r.getMessage() for r in caplog.records]
    assert any("database unreachable at its end" in m for m in messages)
    assert not any("AUDIT TRAIL WRITE FAILED" in m for m in messages)


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_pooled_connections_left_by_a_database_restart_are_replaced_before_use(
    postgres: PostgresServer, mode: str
) -> None:
    """`fast`: the server says goodbye to each session; `immediate`: a crash, the sockets close."""
    engine = make_engine(postgres.url)
    try:
        held = [engine.connect() for _ in range(3)]  # three pooled connections, as threads leave them
        for connection in held:
            connection.execute(text("SELECT 1"))
            connection.close()
        postgres.halt(mode)
        postgres.resume()
        for _ in range(3):  # none fails its first statement
            with engine.connect() as connection:
                assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
