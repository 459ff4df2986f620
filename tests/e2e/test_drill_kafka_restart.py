"""Fault drill: the Kafka broker is stopped for >= 10 s and restarted while orders flow.

`rom serve` (lab + SQLite) relays its outbox to a real broker (lab/kafka_broker.py). Orders
submitted while the broker is down still complete during the outage (the relay does not hold up the
order path); after the restart a consumer counts every outbox event in Kafka exactly once.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from core.events import ORDER_TOPIC, RESOURCE_TOPIC
from core.outbox import OutboxRow
from lab import order_events
from lab.kafka_broker import KafkaBroker, kafka_libdir
from lab.support import running_lab, serving
from tests.e2e.conftest import TOPOLOGY
from tests.e2e.test_kill_recovery import body

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("java") is None, reason="Java (17+) is not installed: no Kafka broker"),
]
ORDERS = "/tmf-api/resourceOrderingManagement/v4/resourceOrder"
BEFORE, DURING, OUTAGE_S = 8, 12, 10.0
FINAL = {"completed", "failed"}


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[KafkaBroker]:
    with KafkaBroker(tmp_path / "kafka", lib_dir=kafka_libdir(fetch=True)) as running:
        yield running


def submit(api: httpx.Client, numbers: range) -> list[str]:
    ids = []
    for i in numbers:
        response = api.post(ORDERS, json=body(i))
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def wait_final(api: httpx.Client, ids: list[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        states = [api.get(f"{ORDERS}/{i}").json()["state"] for i in ids]
        if set(states) <= FINAL:
            return
        assert time.monotonic() < deadline, Counter(states)
        time.sleep(0.25)


def outbox(db: Path) -> tuple[list[str], int]:
    """Event ids in the outbox for the Kafka topics, and how many are not yet relayed."""
    engine = create_engine(f"sqlite:///{db}")
    with Session(engine) as session:
        query = select(OutboxRow).where(OutboxRow.topic.in_([ORDER_TOPIC, RESOURCE_TOPIC]))
        rows = list(session.scalars(query))
    engine.dispose()
    return [r.payload["eventId"] for r in rows], sum(1 for r in rows if r.delivered is None)


def test_broker_restart_under_order_events_loses_and_duplicates_nothing(
    broker: KafkaBroker, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "ROM_VAR_DIR": str(tmp_path),
        "ROM_KAFKA_BOOTSTRAP": broker.bootstrap,
        "ROM_CONFIRM_TIMEOUT": "60",
        "ROM_ORDER_THREADS": "3",
    }
    env.pop("ROM_DATABASE_URL", None)
    db = tmp_path / "rom.db"
    with running_lab(env, TOPOLOGY), serving(env, tmp_path / "serve.log") as api:
        first = submit(api, range(BEFORE))
        wait_final(api, first)
        broker.stop()
        down_at = time.monotonic()
        during = submit(api, range(BEFORE, BEFORE + DURING))
        wait_final(api, during)
        assert not broker.running, "the broker came back by itself"
        completed_while_down = time.monotonic() - down_at
        _, pending_while_down = outbox(db)
        time.sleep(max(0.0, OUTAGE_S - completed_while_down))
        broker.start()
        deadline = time.monotonic() + 120
        while (pending := outbox(db)[1]) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert pending == 0, f"{pending} outbox events were never relayed after the restart"
        event_ids, _ = outbox(db)
    seen = asyncio.run(order_events.event_ids(broker.bootstrap, len(event_ids)))
    lost = set(event_ids) - set(seen)
    duplicated = {e: n for e, n in seen.items() if n > 1}
    assert not lost, f"{len(lost)} events lost"
    assert not duplicated, f"{len(duplicated)} events duplicated"
    assert set(seen) == set(event_ids), "Kafka holds events the outbox never had"
    assert pending_while_down > 0, "no event waited for the broker: the drill proved nothing"
    print(
        f"drill: {BEFORE + DURING} orders, {DURING} completed in {completed_while_down:.1f} s with the "
        f"broker down; {pending_while_down} events waited; {len(event_ids)} events in Kafka once each, 0 lost"
    )
