"""Counting what reached Kafka: the event ids on the order and resource topics, for the drills
in tests/ and the soak in bench/ (each checks that nothing was lost or sent twice)."""

from __future__ import annotations

import json
import time
from collections import Counter

from aiokafka import AIOKafkaConsumer

from core.events import ORDER_TOPIC, RESOURCE_TOPIC


def committed_reader(bootstrap: str, *topics: str) -> AIOKafkaConsumer:
    """A consumer of `topics` from their start, committed records only (the relay writes in Kafka
    transactions), with no group and no offsets of its own: for counting what reached Kafka."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        isolation_level="read_committed",
    )


async def event_ids(bootstrap: str, expected: int, timeout: float = 90) -> Counter[str]:
    """Event ids read from both topics from the start, until `expected` arrived and 2 s stay quiet."""
    consumer = committed_reader(bootstrap, ORDER_TOPIC, RESOURCE_TOPIC)
    await consumer.start()
    seen: Counter[str] = Counter()
    deadline = time.monotonic() + timeout
    try:
        while sum(seen.values()) < expected and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            seen.update(json.loads(r.value)["eventId"] for rs in batch.values() for r in rs)
        extra = await consumer.getmany(timeout_ms=2000)  # nothing more may arrive
        seen.update(json.loads(r.value)["eventId"] for rs in extra.values() for r in rs)
    finally:
        await consumer.stop()
    return seen
