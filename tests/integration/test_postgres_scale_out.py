"""Two `rom serve` processes on one PostgreSQL take 200 orders: each runs exactly once."""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from lab.postgres import PostgresServer
from lab.support import running_lab, serving
from rom.order_store import OrderRow, StepRow
from tests.e2e.conftest import TOPOLOGY

ORDERS = "/tmf-api/resourceOrderingManagement/v4/resourceOrder"
COUNT = 200
DEVICES = ("pe1", "p1", "pe2")


def order(i: int) -> dict[str, object]:
    values = {
        "device": DEVICES[i % 3],
        "vrfName": f"S{i}",
        "routeDistinguisher": f"65002:{i}",
        "interface": "Ethernet4",
        "vlanId": 100 + i,
        "ipv4Address": f"10.77.{i % 250}.{i // 250 * 4 + 1}",
        "prefixLength": 30,
    }
    item = {
        "id": "1",
        "action": "add",
        "resourceSpecification": {"id": "l3vpn-endpoint"},
        "resource": {"resourceCharacteristic": [{"name": k, "value": v} for k, v in values.items()]},
    }
    return {"orderItem": [item]}


def test_two_processes_run_each_order_exactly_once(postgres: PostgresServer, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ROM_VAR_DIR": str(tmp_path),
        "ROM_DATABASE_URL": postgres.url,
        "ROM_ORDER_THREADS": "3",
    }
    with (
        running_lab(env, TOPOLOGY),
        serving(env, tmp_path / "serve-a.log") as first,
        serving(env, tmp_path / "serve-b.log") as second,
    ):
        clients = [first, second]
        ids = [clients[i % 2].post(ORDERS, json=order(i)).json()["id"] for i in range(COUNT)]
        assert len(set(ids)) == COUNT
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            done = first.get(ORDERS, params={"state": "completed,failed", "limit": 1}).headers[
                "X-Total-Count"
            ]
            if int(done) == COUNT:
                break
            time.sleep(0.25)
    engine = create_engine(postgres.url)
    with Session(engine) as session:
        states = Counter(session.scalars(select(OrderRow.state)))
        starts = Counter(session.scalars(select(StepRow.order_id).where(StepRow.step == "started")))
        owners = {
            s.detail["owner"].rsplit(":", 1)[0]
            for s in session.scalars(select(StepRow).where(StepRow.step == "started"))
        }
    engine.dispose()
    assert states == {"completed": COUNT}, states
    assert set(starts) == set(ids) and set(starts.values()) == {1}, "an order ran twice or never"
    assert len(owners) == 2, f"both processes should have worked, saw {owners}"
