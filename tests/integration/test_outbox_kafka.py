"""The outbox relay publishing order events into a real Kafka broker: every event once, in order per
key, also when a relay was killed (-9) after its Kafka transaction committed but before the rows were
marked delivered, and another is stale with its transaction open: the next relay fences the stale
one and sends nothing twice."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from aiokafka.errors import ProducerFenced

from core import outbox
from core.events import ORDER_TOPIC
from core.tmf652 import ResourceOrderCreate
from events import relay
from inventory.context import Context
from inventory.records import Device, upsert_device
from lab.kafka_broker import KafkaBroker, kafka_libdir
from lab.order_events import committed_reader
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
    consumer = committed_reader(bootstrap, topic)
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


def submit(ctx: Context, count: int, start: int = 0) -> list[str]:
    """`count` scheduled orders (each one ResourceOrderCreateEvent in the outbox); their ids."""
    with ctx.transaction() as session:
        upsert_device(session, Device(name="pe1", host="127.0.0.1", port=1, platform="rom-router"))
    ids = []
    for i in range(start, start + count):
        body = order(l3vpn_item("1", "pe1", f"VK{i}", 40 + i), requestedStartDate="2099-01-01T00:00:00Z")
        ids.append(submit_order(ctx, ResourceOrderCreate.model_validate(body), f"corr-{i}")[0]["id"])
    return ids


def test_every_outbox_event_reaches_kafka_once(broker: KafkaBroker, tmp_path: Path) -> None:
    ctx = Context.create(make_settings(tmp_path, kafka_bootstrap=broker.bootstrap))
    ids = submit(ctx, 5)

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


# A relay in its own process that dies by SIGKILL at the worst moment: its Kafka transaction
# committed, the outbox rows not yet marked delivered.
DYING_RELAY = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from pathlib import Path
    import httpx
    from events import relay
    from inventory.context import Context
    from tests.integration.conftest import make_settings

    class Dying(relay.OutboxRelay):
        def _mark_relayed(self, seqs):
            os.kill(os.getpid(), signal.SIGKILL)

    async def main():
        ctx = Context.create(make_settings(Path(sys.argv[1]), kafka_bootstrap=sys.argv[2]))
        async with httpx.AsyncClient() as client:
            await Dying(ctx, "dying").relay_once(client)

    asyncio.run(main())
    """
)


def test_a_killed_relay_and_a_stale_one_send_nothing_twice(broker: KafkaBroker, tmp_path: Path) -> None:
    ctx = Context.create(make_settings(tmp_path, kafka_bootstrap=broker.bootstrap))
    before = len(asyncio.run(consume_all(broker.bootstrap, ORDER_TOPIC)))
    ids = submit(ctx, 4)
    dying = subprocess.run(
        [sys.executable, "-c", DYING_RELAY, str(tmp_path), broker.bootstrap],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        timeout=120,
    )
    assert dying.returncode == -9, dying.stderr.decode()[-2000:]
    with ctx.sessions() as session:
        assert all(row.delivered is None for row in outbox.list_events(session))  # in Kafka, not marked
    ids += submit(ctx, 2, start=4)

    async def stale_then_next() -> int:
        async with httpx.AsyncClient() as client:
            stale, after = relay.OutboxRelay(ctx, "stale"), relay.OutboxRelay(ctx, "next")
            try:  # a relay that lost its lease mid-pass: its records written, its transaction open
                producer = await stale._kafka()
                await producer.begin_transaction()
                await producer.send_and_wait(ORDER_TOPIC, b"stale", b"{}")
                moved = await after.relay_once(client)  # fences the stale relay, aborting its records
                with pytest.raises(ProducerFenced):
                    await producer.commit_transaction()
                return moved
            finally:
                await stale.close()
                await after.close()

    assert asyncio.run(stale_then_next()) == 6
    got = [key for key, _ in asyncio.run(consume_all(broker.bootstrap, ORDER_TOPIC))][before:]
    assert sorted(got) == sorted(ids)  # each order's event exactly once, nothing of the stale relay's
    with ctx.sessions() as session:
        assert all(row.delivered is not None for row in outbox.list_events(session))
    ctx.engine.dispose()


async def consume_all(bootstrap: str, topic: str) -> list[tuple[str, dict[str, object]]]:
    """Every committed record of `topic` so far (read until 1 s passes without one)."""
    consumer = committed_reader(bootstrap, topic)
    await consumer.start()
    got: list[tuple[str, dict[str, object]]] = []
    try:
        while batch := await consumer.getmany(timeout_ms=1000):
            got.extend((r.key.decode(), json.loads(r.value)) for rs in batch.values() for r in rs)
    finally:
        await consumer.stop()
    return got
