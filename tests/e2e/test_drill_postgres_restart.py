"""Fault drill: PostgreSQL is stopped (fast shutdown, or crashed) and restarted while `rom serve`
takes 40 orders.

POSTs during the outage get a clean 503 TMF error (and are replayed afterwards with the same
externalId); every 201 ends as exactly one order in a final state; `rom serve` stays up; every
device holds the configuration of exactly the orders that completed; every order's state-change
events are in the outbox and relayed.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from core.outbox import OutboxRow
from lab.postgres import PostgresServer
from lab.support import free_port, running_lab, start_serve, wait_healthy
from rom.order_store import OrderRow, StepRow
from tests.e2e.conftest import TOPOLOGY
from tests.e2e.test_kill_recovery import body, vrfs

pytestmark = pytest.mark.e2e
ORDERS = "/tmf-api/resourceOrderingManagement/v4/resourceOrder"
COUNT, OUTAGE_AT, OUTAGE_S = 40, 12, 4.0
FINAL = {"completed", "failed"}


def final_states(api: httpx.Client, timeout: float = 180) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    states: dict[str, str] = {}
    while time.monotonic() < deadline:
        states = {d["id"]: d["state"] for d in api.get(ORDERS, params={"limit": 1000}).json()}
        if states and set(states.values()) <= FINAL:
            break
        time.sleep(0.25)
    return states


def wait_in_flight(api: httpx.Client, timeout: float = 10) -> int:
    """How many orders are running, once at least one is (0 if none started in time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = api.get(ORDERS, params={"state": "inProgress", "limit": 1}).headers["X-Total-Count"]
        if int(running):
            return int(running)
        time.sleep(0.02)
    return 0


def wait_relayed(url: str, timeout: float = 60) -> int:
    """Until the relay has sent every outbox event; returns how many are still waiting."""
    engine = create_engine(url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with Session(engine) as session:
                waiting = len(
                    list(session.scalars(select(OutboxRow.seq).where(OutboxRow.delivered.is_(None))))
                )
            if not waiting or time.monotonic() > deadline:
                return waiting
            time.sleep(0.2)
    finally:
        engine.dispose()


@pytest.mark.parametrize("mode", ["fast", "immediate"])  # a clean shutdown, and a crash
def test_postgres_restart_under_load_loses_nothing(
    postgres: PostgresServer, tmp_path: Path, mode: str
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "ROM_VAR_DIR": str(tmp_path),
        "ROM_DATABASE_URL": postgres.url,
        "ROM_LEASE_SECONDS": "3",
        "ROM_CONFIRM_TIMEOUT": "60",
        "ROM_ORDER_THREADS": "3",
    }
    env.pop("ROM_KAFKA_BOOTSTRAP", None)
    with running_lab(env, TOPOLOGY), open(tmp_path / "serve.log", "ab") as log:
        server = start_serve(env, port, log)
        api = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        try:
            wait_healthy(api, server)
            accepted: dict[int, str] = {}
            refused: list[int] = []
            outage_ends = 0.0
            in_flight = 0
            for i in range(COUNT):
                if i == OUTAGE_AT:
                    in_flight = wait_in_flight(api)
                    postgres.halt(mode)
                    outage_ends = time.monotonic() + OUTAGE_S
                if outage_ends and time.monotonic() > outage_ends:
                    postgres.resume()
                    outage_ends = 0.0
                response = api.post(ORDERS, json=body(i))
                assert response.status_code in (201, 503), response.text
                if response.status_code == 503:
                    error = response.json()
                    assert error["code"] == "503" and error["@type"] == "Error", error
                    refused.append(i)
                else:
                    accepted[i] = response.json()["id"]
                if i >= OUTAGE_AT:
                    time.sleep(0.2)  # the outage sits mid-stream
            if outage_ends:
                postgres.resume()
            assert refused, "no POST landed in the outage: the drill proved nothing"
            assert in_flight, "no order was running when the database went away"
            for i in refused:  # the client retries what was refused; a replay must not duplicate
                response = api.post(ORDERS, json=body(i))
                assert response.status_code == 201, response.text
                accepted[i] = response.json()["id"]
            states = final_states(api)
            unrelayed = wait_relayed(postgres.url)
            assert server.poll() is None, "rom serve died in the outage"
        finally:
            api.close()
            server.terminate()
            server.wait(30)
        assert sorted(states) == sorted(accepted.values()), "an order was lost or created twice"
        assert set(states.values()) <= FINAL, Counter(states.values())
        endpoints = {
            d["name"]: d
            for d in json.loads((tmp_path / "lab" / "rom-l3vpn" / "endpoints.json").read_text())["devices"]
        }
        on_device = {d: vrfs(endpoints, d) for d in ("pe1", "pe2")}
    for i, order_id in accepted.items():
        devices = [("pe1",), ("pe2",), ("pe1", "pe2")][i % 3]
        if states[order_id] == "completed":
            assert all(f"K{i}" in on_device[d] for d in devices), f"order {i} missing on a device"
        else:
            assert all(f"K{i}" not in on_device[d] for d in ("pe1", "pe2")), f"failed order {i} left config"

    engine = create_engine(postgres.url)
    with Session(engine) as session:
        steps = [(r.order_id, r.step) for r in session.scalars(select(StepRow))]
        events = list(session.scalars(select(OutboxRow)))
        rows = {r.id: r.state for r in session.scalars(select(OrderRow))}
    engine.dispose()
    assert rows == states
    # An attempt the outage cut short before commit is rolled back and retried ("requeued" with its
    # cause, then "resumed"), but no order starts twice, commits twice or ends twice.
    starts = Counter(o for o, step in steps if step == "started")
    assert max(starts.values(), default=0) <= 1, "an order started twice"
    commits = Counter(o for o, step in steps if step == "committed")
    ends = Counter(o for o, step in steps if step in FINAL)
    assert set(starts) == set(states), "an order never started"
    assert max(commits.values(), default=0) <= 1, "an order committed twice"
    assert all(commits[o] == 1 for o, s in states.items() if s == "completed")
    assert ends == Counter(states.keys()), "an order ended twice or not at all"
    retried = sum(1 for o, step in steps if step == "resumed")
    assert unrelayed == 0 and all(e.delivered is not None for e in events), (
        "an outbox event was never relayed"
    )
    assert_events_complete(events, states)
    completed = sum(1 for s in states.values() if s == "completed")
    assert completed >= COUNT // 2, f"only {completed} of {COUNT} orders completed"
    text = (tmp_path / "serve.log").read_text(errors="replace")
    recovered = text.count("its worker stopped; recovering")
    print(
        f"drill ({mode}): {COUNT} orders, {len(refused)} POSTs refused with 503 during a "
        f"{OUTAGE_S:.0f} s outage, {completed} completed, {len(events)} outbox events all relayed, "
        f"{in_flight} orders running at the stop, {recovered} recovered, {retried} retried after a rollback"
    )


def assert_events_complete(events: list[OutboxRow], states: dict[str, str]) -> None:
    """Each order has one create event, one event per state change (a retry after a rollback goes
    inProgress -> pending -> inProgress: two changes, two events) and one event for its final state."""
    seen: dict[str, list[str]] = {}
    for event in sorted(events, key=lambda e: e.seq):
        order: dict[str, Any] = event.payload.get("event", {}).get("resourceOrder", {})
        if order.get("id") in states:
            seen.setdefault(order["id"], []).append(f"{event.payload['eventType']}:{order.get('state')}")
    for order_id, final in states.items():
        kinds = seen.get(order_id, [])
        assert sum(k.startswith("ResourceOrderCreateEvent") for k in kinds) == 1, (order_id, kinds)
        assert kinds[-1] == f"ResourceOrderStateChangeEvent:{final}", (order_id, kinds)
        assert kinds.count(kinds[-1]) == 1, f"final state event twice for {order_id}: {kinds}"
        assert all(a != b for a, b in itertools.pairwise(kinds)), f"an event repeated for {order_id}: {kinds}"
