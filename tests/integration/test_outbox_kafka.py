"""The outbox relay publishing order events into a real Kafka broker: every event once, in order per key."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from core import outbox
from core.events import ORDER_TOPIC
from core.tmf652 import ResourceOrderCreate
from events import relay
from inventory.context import Context
from inventory.records import Device, upsert_device
from lab.kafka_broker import KafkaBroker, kafka_libdir
from rom.orders import submit_order
from tests.integration.conftest import l3vpn_item, make_settings, order

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("java") is None, reason="Java (17+) is not installed: no Kafka broker"),
]


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    with KafkaBroker(tmp_path_factory.mktemp("kafka"), lib_dir=kafka_libdir(fetch=True)) as running:
        yield running


async def consume(bootstrap: str, topic: str, expected: int) -> list[tuple[str, dict[str, object]]]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    got: list[tuple[str, dict[str, object]]] = []
    try:
        while len(got) < expected:
            batch = await asyncio.wait_for(consumer.getmany(timeout_ms=500), timeout=60)
            for records in batch.values():
                got.extend((r.key.decode(), json.loads(r.value)) for r in records)
        extra = await consumer.getmany(timeout_ms=1000)  # nothing more may arrive
        got.extend((r.key.decode(), json.loads(r.value)) for rs in extra.values() for r in rs)
    finally:
        await consumer.stop()
    return got


def test_every_outbox_event_reaches_kafka_once(broker: KafkaBroker, tmp_path: Path) -> None:
    ctx = Context.create(make_settings(tmp_path, kafka_bootstrap=broker.bootstrap))
    with ctx.transaction() as session:
        upsert_device(session, Device(name="pe1", host="127.0.0.1", port=1, platform="rom-router"))
    ids = []
    for i in range(5):
        body = order(l3vpn_item("1", "pe1", f"VK{i}", 40 + i), requestedStartDate="2099-01-01T00:00:00Z")
        ids.append(submit_order(ctx, ResourceOrderCreate.model_validate(body), f"corr-{i}")[0]["id"])

    async def relay_twice() -> None:
        async with httpx.AsyncClient() as client:
            outbox = relay.OutboxRelay(ctx, "test")
            try:
                assert await outbox.relay_once(client) == 5
                assert await outbox.relay_once(client) == 0  # already relayed: nothing is sent again
            finally:
                await outbox.close()

    asyncio.run(relay_twice())
    got = asyncio.run(consume(broker.bootstrap, ORDER_TOPIC, 5))
    assert sorted(key for key, _ in got) == sorted(ids)
    assert {event["correlationId"] for _, event in got} == {f"corr-{i}" for i in range(5)}
    assert {event["eventType"] for _, event in got} == {"ResourceOrderCreateEvent"}
    with ctx.sessions() as session:
        assert all(row.delivered is not None for row in outbox.list_events(session))
    ctx.engine.dispose()
