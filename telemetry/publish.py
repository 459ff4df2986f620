"""Telemetry events into Kafka (``rom.telemetry``, keyed by device): batched, compressed, idempotent.

``offer(events)`` never blocks and never loses silently: an event enters a bounded buffer (one
queue per partition) or, when ``buffer_events`` events are already buffered or in flight, is
dropped and counted (``rom_telemetry_dropped_{events,updates}_total{reason="buffer-full"}``).
One pump per partition fills an aiokafka ``BatchBuilder`` (linger: up to ``linger_ms`` or a full
batch) and hands it to ``send_batch``; the producer is idempotent with ``acks=all``, so aiokafka
retries a batch it has sent with the same sequence numbers and a retry cannot duplicate it (a batch
that expires, after ``REQUEST_TIMEOUT_MS``, breaks that sequence: the publisher then starts a new
producer and resends, at-least-once, counted in ``rom_telemetry_producer_resets_total``). While the
broker is away, batches that cannot even be queued stay in the buffer and are retried with
backoff; an event leaves the buffer only when Kafka acknowledged it. Ordering per device holds
except across a failed batch (its events go back to the front of the queue).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, OutOfOrderSequenceNumber
from aiokafka.partitioner import DefaultPartitioner

from telemetry import metrics
from telemetry.events import Event

log = logging.getLogger(__name__)
TOPIC = "rom.telemetry"
COLLECTOR_HEADER = "rom-collector"
Item = tuple[bytes, bytes, int, int]  # key, value, updates, notification timestamp (ns)
REQUEST_TIMEOUT_MS = 120_000


@dataclass
class PublisherStats:
    published_events: int = 0
    published_updates: int = 0
    dropped_events: int = 0
    dropped_updates: int = 0
    retries: int = 0


class TelemetryPublisher:
    """``await start()``, ``offer(events)`` from anywhere in the loop, ``await stop()`` (flushes)."""

    def __init__(
        self,
        bootstrap: str,
        topic: str = TOPIC,
        *,
        buffer_events: int = 200_000,
        linger_ms: int = 5,
        max_batch_bytes: int = 512 * 1024,
        compression: str | None = "gzip",
        retry_backoff_s: float = 0.5,
        client_id: str = "rom-telemetry",
        on_latency: Callable[[float], None] | None = None,
        collector: str | None = None,
    ) -> None:
        self.topic = topic
        # every record names the collector that wrote it (Kafka header `rom-collector`), so a
        # consumer can tell two collectors' streams of one device apart around a cluster move
        self._headers = [(COLLECTOR_HEADER, collector.encode())] if collector else []
        self.buffer_events = buffer_events
        self.linger_s = linger_ms / 1000
        self.retry_backoff_s = retry_backoff_s
        self.stats = PublisherStats()
        self.on_latency = on_latency  # seconds from notification timestamp to ack, per event
        self._producer_args = {
            "bootstrap_servers": bootstrap,
            "client_id": client_id,
            "acks": "all",
            "enable_idempotence": True,
            "compression_type": compression,
            "linger_ms": 0,  # the pump lingers; a second linger in aiokafka would only add latency
            "max_batch_size": max_batch_bytes,
            "max_request_size": max(1_048_576, max_batch_bytes * 2),
            # a sent batch waits this long for the broker (a restart under load can take a minute)
            "request_timeout_ms": REQUEST_TIMEOUT_MS,
        }
        self.producer = AIOKafkaProducer(**self._producer_args)
        self._resetting: asyncio.Task[None] | None = None
        self._partitioner = DefaultPartitioner()
        self._partitions: list[int] = [0]
        self._queues: dict[int, deque[Item]] = {}
        self._wakeups: dict[int, asyncio.Event] = {}
        self._pumps: dict[int, asyncio.Task[None]] = {}
        self._pending = 0  # buffered + in flight
        self._closing = False

    async def start(self) -> None:
        await self.producer.start()
        self._partitions = sorted(await self.producer.partitions_for(self.topic)) or [0]

    @property
    def pending(self) -> int:
        """Events buffered or in flight (not yet acknowledged)."""
        return self._pending

    # -- intake ------------------------------------------------------------------------------------
    def offer(self, events: list[Event]) -> None:
        """Queue events (non-blocking); overflow is dropped and counted."""
        for event in events:
            if self._pending >= self.buffer_events or self._closing:
                self._drop(event.updates, "buffer-full" if not self._closing else "shutdown")
                continue
            key = event.device.encode()
            partition = self._partitioner(key, self._partitions, self._partitions)
            queue = self._queues.get(partition)
            if queue is None:
                queue = self._queues[partition] = deque()
                self._wakeups[partition] = asyncio.Event()
                self._pumps[partition] = asyncio.create_task(self._pump(partition))
            queue.append((key, event.to_json(), event.updates, event.timestamp))
            self._pending += 1
            self._wakeups[partition].set()
        metrics.BUFFERED.set(self._pending)

    def _drop(self, updates: int, reason: str, events: int = 1) -> None:
        self.stats.dropped_events += events
        self.stats.dropped_updates += updates
        metrics.DROPPED_EVENTS.labels(reason).inc(events)
        metrics.DROPPED_UPDATES.labels(reason).inc(updates)

    # -- the pumps -------------------------------------------------------------------------------
    async def _pump(self, partition: int) -> None:
        queue, wakeup = self._queues[partition], self._wakeups[partition]
        while True:
            if not queue:
                wakeup.clear()
                await wakeup.wait()
                if len(queue) < 1000 and not self._closing:
                    await asyncio.sleep(self.linger_s)  # linger: let a batch fill
            if self._resetting is not None:  # a new producer is starting
                await asyncio.sleep(self.retry_backoff_s)
                continue
            batch = self.producer.create_batch()
            items: list[Item] = []
            while queue:
                key, value, updates, _stamp = queue[0]
                if batch.append(key=key, value=value, timestamp=None, headers=self._headers) is None:
                    if not items:  # one event larger than a batch: it can never be sent
                        queue.popleft()
                        self._pending -= 1
                        self._drop(updates, "too-large")
                        continue
                    break
                items.append(queue.popleft())
            if not items:
                continue
            try:
                future = await self.producer.send_batch(batch, self.topic, partition=partition)
            except KafkaError as exc:  # not queued at all (broker away, accumulator full): retry
                self._retry(queue, items, exc)
                await asyncio.sleep(self.retry_backoff_s)
                continue
            future.add_done_callback(lambda f, items=items, queue=queue: self._delivered(f, queue, items))

    def _retry(self, queue: deque[Item], items: list[Item], exc: BaseException) -> None:
        self.stats.retries += 1
        metrics.PUBLISH_RETRIES.inc()
        log.debug("telemetry batch of %d events not sent (%r); retrying", len(items), exc)
        queue.extendleft(reversed(items))

    def _delivered(self, future: asyncio.Future[object], queue: deque[Item], items: list[Item]) -> None:
        if future.cancelled() or future.exception() is not None:
            exc = future.exception() if not future.cancelled() else asyncio.CancelledError()
            log.warning("telemetry batch of %d events failed (%r); retrying", len(items), exc)
            self._retry(queue, items, exc or RuntimeError("cancelled"))
            if isinstance(exc, OutOfOrderSequenceNumber) and self._resetting is None:
                self._resetting = asyncio.get_running_loop().create_task(self._reset_producer())
            for partition, q in self._queues.items():
                if q is queue:
                    self._wakeups[partition].set()
            return
        now = time.time_ns()
        updates = 0
        for _key, _value, count, stamp in items:
            updates += count
            latency = max(0, now - stamp) / 1e9
            metrics.LATENCY.observe(latency)
            if self.on_latency is not None:
                self.on_latency(latency)
        self._pending -= len(items)
        self.stats.published_events += len(items)
        self.stats.published_updates += updates
        metrics.PUBLISHED_EVENTS.inc(len(items))
        metrics.PUBLISHED_UPDATES.inc(updates)
        metrics.BUFFERED.set(self._pending)

    async def _reset_producer(self) -> None:
        """A batch that expired while the broker was away leaves a gap in the idempotent sequence
        that the broker refuses for good: start over with a new producer id. The batches still in
        flight are sent again by the pumps, so across a reset delivery is at-least-once (counted)."""
        metrics.PRODUCER_RESETS.inc()
        log.warning("telemetry producer sequence broken; starting a new producer")
        old, self.producer = self.producer, AIOKafkaProducer(**self._producer_args)
        try:
            with contextlib.suppress(KafkaError, asyncio.TimeoutError):
                await asyncio.wait_for(old.stop(), 5)
            while not self._closing:
                try:
                    await self.producer.start()
                    break
                except KafkaError as exc:
                    log.warning("telemetry producer not started (%r); retrying", exc)
                    await asyncio.sleep(self.retry_backoff_s)
        finally:
            self._resetting = None
            for wakeup in self._wakeups.values():
                wakeup.set()

    # -- shutdown -------------------------------------------------------------------------------
    async def flush(self, timeout: float = 60.0) -> bool:
        """Wait until every buffered event is acknowledged; False if ``timeout`` ran out first."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._pending:
            if asyncio.get_running_loop().time() > deadline:
                return False
            for wakeup in self._wakeups.values():
                wakeup.set()
            await asyncio.sleep(0.01)
        return True

    async def stop(self, timeout: float = 30.0) -> None:
        """Flush (up to ``timeout``), then stop; whatever is still unacknowledged is counted as
        dropped with reason ``shutdown``."""
        flushed = await self.flush(timeout)
        self._closing = True
        for task in self._pumps.values():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if not flushed:
            lost = [item for queue in self._queues.values() for item in queue]
            if lost:
                self._drop(sum(item[2] for item in lost), "shutdown", len(lost))
            log.warning("telemetry publisher stopped with %d events unacknowledged", self._pending)
        await self.producer.stop()
