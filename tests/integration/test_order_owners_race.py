"""One owner per path under concurrent intake: two submits of one order at the same moment, in two
sessions, give exactly one order and one 409 (intake locks the devices' rows), on SQLite and on
PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

from core.db import Base
from core.errors import Conflict
from core.settings import Settings
from core.tmf652 import ResourceOrderCreate
from inventory.context import Context
from inventory.records import Device, upsert_device
from lab.postgres import PostgresServer
from rom.orders import submit_order
from tests.integration.conftest import order, qos_item


def test_simultaneous_repeats_give_one_order_on_postgres(postgres: PostgresServer, tmp_path: Any) -> None:
    race(Context.create(Settings(var_dir=tmp_path, database_url=postgres.url)))


def test_simultaneous_repeats_give_one_order_on_sqlite(tmp_path: Any) -> None:
    race(Context.create(Settings(var_dir=tmp_path)))


def race(ctx: Context) -> None:
    Base.metadata.create_all(ctx.engine)
    with ctx.transaction() as session:
        upsert_device(session, Device(name="pe1", host="127.0.0.1", port=1, platform="rom-router"))
    outcomes: list[str] = []
    for n in range(8):
        body = ResourceOrderCreate.model_validate(order(qos_item("1", "pe1", f"RACE{n}")))
        start = threading.Barrier(2)

        def submit(body: ResourceOrderCreate = body, start: threading.Barrier = start) -> None:
            start.wait()
            try:
                submit_order(ctx, body, "cid")
                outcomes.append("created")
            except Conflict as exc:
                assert "(not finished) creates" in str(exc)
                outcomes.append("409")

        threads = [threading.Thread(target=submit) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    ctx.engine.dispose()
    assert sorted(outcomes) == ["409"] * 8 + ["created"] * 8
