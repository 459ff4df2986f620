"""What the outbox relay already put in Kafka: the outbox event ids in the committed tail of topics.

The relay stamps every record with the header `rom-event-id`. After a crash (or any failed pass)
some rows may be in a committed Kafka transaction but not yet marked delivered in the database;
their ids are in the last `window` committed records of each partition (read_committed, so a
fenced relay's aborted transaction is not counted)."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition

EVENT_ID_HEADER = "rom-event-id"


async def committed_event_ids(bootstrap: str, partitions: Sequence[TopicPartition], window: int) -> set[str]:
    """The `rom-event-id` headers of the last `window` committed records of each partition."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        group_id=None,
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        if not partitions:
            return set()
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)  # read_committed: the last stable offsets
        starts = await consumer.beginning_offsets(partitions)
        todo = {tp for tp in partitions if ends[tp] > starts[tp]}
        for tp in todo:
            consumer.seek(tp, max(starts[tp], ends[tp] - window))
        seen: set[str] = set()
        while todo:
            batch = await consumer.getmany(*todo, timeout_ms=1000)
            for records in batch.values():
                for record in records:
                    seen.update(v.decode() for k, v in record.headers if k == EVENT_ID_HEADER)
            todo = {tp for tp in todo if await consumer.position(tp) < ends[tp]}
        return seen
    finally:
        await consumer.stop()
