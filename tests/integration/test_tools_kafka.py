"""The real Kafka broker (KRaft, loopback): exactly-once round trip through a consumer group, and
messages that survive a broker restart on the same data directory.

Skips only when Java is absent; otherwise the jars are fetched on first use
(``scripts/tools/kafka.sh fetch``, ~15 s cold) and the broker starts in a few seconds.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from lab.kafka_broker import KafkaBroker, kafka_libdir, probe_metadata

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("java") is None, reason="Java (17+) is not installed: no Kafka broker"),
]

TOPIC = "rom.test.tools"
COUNT = 1_000


@pytest.fixture(scope="module")
def lib_dir() -> Path:
    return kafka_libdir(fetch=True)


@pytest.fixture
def broker(tmp_path: Path, lib_dir: Path) -> Iterator[KafkaBroker]:
    with KafkaBroker(tmp_path / "kafka", lib_dir=lib_dir) as running:
        yield running


async def _produce(bootstrap: str, count: int, start: int = 0) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        batch = [
            await producer.send(TOPIC, key=f"dev{i % 10}".encode(), value=f"msg-{i}".encode())
            for i in range(start, start + count)
        ]
        await producer.flush()
        for future in batch:
            await future
    finally:
        await producer.stop()


async def _consume(bootstrap: str, group: str, expect: int, timeout_s: float = 60.0) -> list[str]:
    """Read until ``expect`` messages arrived (or the timeout), commit, and keep reading briefly to
    see that nothing more comes."""
    consumer = AIOKafkaConsumer(
        TOPIC,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    got: list[str] = []
    try:
        deadline = time.monotonic() + timeout_s
        while not consumer.assignment():  # joined the group and owns the partition
            assert time.monotonic() < deadline, "no partition assigned"
            await asyncio.sleep(0.05)
        while len(got) < expect and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=1000)
            got += [m.value.decode() for records in batches.values() for m in records if m.value]
        await consumer.commit()
        extra = await consumer.getmany(timeout_ms=500)
        got += [m.value.decode() for records in extra.values() for m in records if m.value]
    finally:
        await consumer.stop()
    return got


async def _committed(bootstrap: str, group: str, timeout_s: float = 30.0) -> int | None:
    """The group's committed offset. Right after a restart the broker is still loading the offsets
    topic, and aiokafka's ``committed()`` answers None meanwhile instead of retrying: poll."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        deadline = time.monotonic() + timeout_s
        offset = await consumer.committed(TopicPartition(TOPIC, 0))
        while offset is None and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            offset = await consumer.committed(TopicPartition(TOPIC, 0))
        return offset
    finally:
        await consumer.stop()


def test_broker_serves_metadata_and_reports_its_process(broker: KafkaBroker) -> None:
    host, port = broker.bootstrap.split(":")
    assert host == "127.0.0.1"
    assert probe_metadata(host, int(port)) == 1
    assert broker.running and broker.pid is not None
    rss = broker.rss_bytes()
    assert rss is not None and rss > 50 * 2**20
    assert broker.log_file.exists() and (broker.data_dir / "kafka-data" / "meta.properties").exists()
    attached = KafkaBroker.attach(broker.data_dir)
    assert attached is not None and attached.pid == broker.pid and attached.bootstrap == broker.bootstrap


def test_produce_and_consume_exactly_once_through_a_group(broker: KafkaBroker) -> None:
    asyncio.run(_produce(broker.bootstrap, COUNT))
    got = asyncio.run(_consume(broker.bootstrap, "rom-test-group", COUNT))
    assert len(got) == COUNT
    assert sorted(got) == sorted(f"msg-{i}" for i in range(COUNT))
    # The group committed everything: a second run of the same group reads nothing.
    assert asyncio.run(_consume(broker.bootstrap, "rom-test-group", 0, timeout_s=2.0)) == []


def test_messages_and_offsets_survive_a_restart(tmp_path: Path, lib_dir: Path) -> None:
    data_dir = tmp_path / "kafka"
    first = KafkaBroker(data_dir, lib_dir=lib_dir)
    with first:
        bootstrap = first.bootstrap
        asyncio.run(_produce(bootstrap, COUNT))
        assert len(asyncio.run(_consume(bootstrap, "before-restart", COUNT))) == COUNT
    assert not first.running and not first.pid_file.exists()
    assert KafkaBroker.attach(data_dir) is None

    with KafkaBroker(data_dir, lib_dir=lib_dir) as second:
        assert second.bootstrap == bootstrap  # same port: clients reconnect to the same address
        # The group resumes where it committed (its join waits for the offsets to load) ...
        assert asyncio.run(_consume(bootstrap, "before-restart", 0, timeout_s=5.0)) == []
        assert asyncio.run(_committed(bootstrap, "before-restart")) == COUNT
        # ... and the messages themselves are all still there.
        fresh = asyncio.run(_consume(bootstrap, "after-restart", COUNT))
        assert sorted(fresh) == sorted(f"msg-{i}" for i in range(COUNT))
        asyncio.run(_produce(bootstrap, 10, start=COUNT))
        resumed = asyncio.run(_consume(bootstrap, "before-restart", 10))
        assert sorted(resumed) == sorted(f"msg-{i}" for i in range(COUNT, COUNT + 10))
