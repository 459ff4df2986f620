"""The outbox relay: events leave the database for Kafka and for TMF hub callbacks.

Into Kafka exactly once by event id: each pass sends its events in one Kafka transaction
(acks=all) from a producer whose transactional id is the same in every process of one database, so
a relay that starts fences a dead or stale one and aborts its open transaction. An event is marked
relayed after its transaction committed; if a relay died (or a pass failed) between the commit and
the mark, the next pass first reads the committed tail of the topics (events/kafka_tail.py) and
marks the events it finds there instead of sending them again. Consumers must read with
isolation_level=read_committed. Hub deliveries are at least once: they retry with exponential
backoff and become dead letters after `max_attempts`; dead letters can be listed and replayed. One
process relays at a time (a lease in the database).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
from datetime import datetime, timedelta
from typing import Any

import httpx
from aiokafka import TopicPartition
from aiokafka.errors import KafkaConnectionError
from sqlalchemy import select

from core import outbox
from core.db import utcnow
from events.hub_registry import matches, parse_query
from events.kafka_tail import EVENT_ID_HEADER, committed_event_ids
from inventory.context import Context

log = logging.getLogger(__name__)
LEASE = "outbox-relay"
LEASE_TIME = timedelta(seconds=15)
RENEW_WITHIN = timedelta(seconds=10)  # a held lease is renewed once less than this is left
KAFKA_TIMEOUT = 60.0  # seconds a pass may wait on Kafka before it fails and is retried


def listener_url(callback: str, event_type: str) -> str:
    """TMF listener path for an event: `{callback}/listener/resourceOrderStateChangeEvent`."""
    name = event_type[:1].lower() + event_type[1:]
    return f"{callback.rstrip('/')}/listener/{name}"


def backoff(attempts: int, base: float = 0.5, cap: float = 60.0) -> timedelta:
    """Exponential backoff with full jitter (pure given the random source)."""
    return timedelta(seconds=random.uniform(0, min(cap, base * 2**attempts)))


class OutboxRelay:
    def __init__(self, ctx: Context, owner: str, max_attempts: int = 8, batch: int = 500) -> None:
        self._ctx = ctx
        self._owner = owner
        self._max_attempts = max_attempts
        self._batch = batch
        self._producer: Any = None
        self._reconcile = True  # read Kafka's committed tail before the next send
        self._held_until: datetime | None = None  # when the lease this relay last took runs out

    async def run(self, stop: asyncio.Event, interval: float = 0.2) -> None:
        async with httpx.AsyncClient(timeout=5.0) as client:
            try:
                while not stop.is_set():
                    wait = interval
                    try:
                        if self._holds_lease() or await asyncio.to_thread(self._lease):
                            await self.relay_once(client)
                        else:  # another process relays: its producer fences ours
                            await self.close()
                    except KafkaConnectionError as exc:  # the broker is down: one line, not a traceback
                        log.warning("outbox relay: %s; retrying in 1 s", exc)
                        wait = max(interval, 1.0)
                    except Exception:
                        log.exception("outbox relay pass failed; retrying")
                        wait = max(interval, 1.0)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), wait)
            finally:
                await self.close()

    async def close(self) -> None:
        """Stop the Kafka producer, if one was started (an open transaction is left to be aborted)."""
        producer, self._producer = self._producer, None
        if producer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(producer.stop(), 10)

    def _holds_lease(self) -> bool:
        """Whether the lease this relay holds has more than RENEW_WITHIN left: until then no other
        process can take it (this one is alive), so it is renewed only then, not on every 0.2 s
        pass (and no thread is needed to know it)."""
        return self._held_until is not None and utcnow() < self._held_until - RENEW_WITHIN

    def _lease(self) -> bool:
        """Whether this relay holds the lease, renewed if it was due (`_holds_lease`)."""
        if self._holds_lease():
            return True
        now = utcnow()
        with self._ctx.transaction() as session:
            held = outbox.take_lease(session, LEASE, self._owner, now, now + LEASE_TIME)
        self._held_until = now + LEASE_TIME if held else None
        return held

    async def relay_once(self, client: httpx.AsyncClient) -> int:
        """Publish new events, fan them out to hubs, attempt due deliveries; returns events moved."""
        moved = await self._publish_new()
        await self._deliver_due(client)
        return moved

    async def _publish_new(self) -> int:
        events = await asyncio.to_thread(self._undelivered)
        if not events:
            return 0
        if self._ctx.settings.kafka_bootstrap:
            try:
                events = await asyncio.wait_for(self._send(events), KAFKA_TIMEOUT)
            except BaseException:
                self._reconcile = True  # the transaction may have committed: look before resending
                await self.close()  # a fenced or broken producer is not reused
                raise
            self._reconcile = True  # committed in Kafka: until marked below, look before resending
        await asyncio.to_thread(self._mark_relayed, events)
        self._reconcile = False
        return len(events)

    async def _send(self, events: list[outbox.Event]) -> list[outbox.Event]:
        """Send in one transaction the events not already committed in Kafka; returns every event
        that is now in Kafka (to be marked relayed)."""
        producer = await self._kafka()
        async with producer.transaction():  # its start waits for the producer id: old ones fenced
            if self._reconcile:
                partitions = [
                    TopicPartition(topic, p)
                    for topic in sorted({e.topic for e in events})
                    for p in sorted(await producer.partitions_for(topic))
                ]
                window = 4 * self._batch + 64  # the last transaction's records and their markers
                done = await committed_event_ids(self._ctx.settings.kafka_bootstrap or "", partitions, window)
                if done:
                    log.info("outbox relay: %d events already in Kafka, marked without resending", len(done))
                fresh = [e for e in events if event_id(e) not in done]
            else:
                fresh = events
            sent = [
                await producer.send(
                    e.topic,
                    key=e.key.encode(),
                    value=e.body(),
                    headers=[(EVENT_ID_HEADER, event_id(e).encode())],
                )
                for e in fresh
            ]
            failed = [
                r for r in await asyncio.gather(*sent, return_exceptions=True) if isinstance(r, Exception)
            ]
            if failed:  # every delivery's outcome is read (none left "never retrieved"), the first raised
                raise failed[0]
        return events

    async def _kafka(self) -> Any:
        if self._producer is None:
            from aiokafka import AIOKafkaProducer

            producer = AIOKafkaProducer(
                bootstrap_servers=self._ctx.settings.kafka_bootstrap,
                acks="all",
                enable_idempotence=True,
                transactional_id=transactional_id(self._ctx.settings.effective_database_url),
                linger_ms=5,
                compression_type="gzip",
            )
            try:
                await producer.start()
            except BaseException:  # e.g. the broker is down: the half-started client is closed
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(producer.stop(), 10)
                raise
            self._producer = producer
            self._reconcile = True
        return self._producer

    def _undelivered(self) -> list[outbox.Event]:
        with self._ctx.sessions() as session:
            return outbox.undelivered(session, self._batch)

    def _mark_relayed(self, events: list[outbox.Event]) -> None:
        """Mark the events relayed (one UPDATE) and owe each matching hub a delivery; the events'
        payloads are those read to send them, not read again (and decoded only if a hub exists)."""
        now = utcnow()
        with self._ctx.transaction() as session:
            hubs = [(h, parse_query(h.query)) for h in session.scalars(select(outbox.HubRow))]
            outbox.mark_relayed(session, [e.seq for e in events], now)
            for row in events:
                for hub, query in hubs:
                    if matches(row.payload, query):
                        url = listener_url(hub.callback, row.payload.get("eventType", "event"))
                        session.add(
                            outbox.HubDeliveryRow(seq=row.seq, hub_id=hub.id, callback=url, next_attempt=now)
                        )

    async def _deliver_due(self, client: httpx.AsyncClient) -> None:
        due = await asyncio.to_thread(self._due)
        if not due:
            return
        results = await asyncio.gather(*(self._post(client, url, body) for _, url, body in due))
        await asyncio.to_thread(self._record, [(d[0], err) for d, err in zip(due, results, strict=True)])

    def _due(self) -> list[tuple[int, str, dict[str, Any]]]:
        with self._ctx.sessions() as session:
            return outbox.due_deliveries(session, utcnow())

    @staticmethod
    async def _post(client: httpx.AsyncClient, url: str, body: dict[str, Any]) -> str | None:
        try:
            response = await client.post(url, json=body)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # one bad callback must not stop the pass
            return f"{type(exc).__name__}: {exc}"
        return None if response.is_success else f"HTTP {response.status_code}"

    def _record(self, outcomes: list[tuple[int, str | None]]) -> None:
        now = utcnow()
        with self._ctx.transaction() as session:
            for delivery_id, error in outcomes:
                row = session.get(outbox.HubDeliveryRow, delivery_id)
                if row is None:
                    continue
                row.attempts += 1
                if error is None:
                    row.status, row.last_error = "delivered", ""
                    continue
                row.last_error = error[:1000]
                if row.attempts >= self._max_attempts:
                    row.status = "dead"
                else:
                    row.next_attempt = now + backoff(row.attempts)


def event_id(row: outbox.Event) -> str:
    """The id Kafka's copy of an outbox event is known by (its eventId; the row's seq otherwise)."""
    return str(row.payload.get("eventId") or f"outbox-seq-{row.seq}")


def transactional_id(database_url: str) -> str:
    """One Kafka transactional id per ROM database: every relay of one database fences the others."""
    return f"rom-outbox-relay-{hashlib.sha256(database_url.encode()).hexdigest()[:16]}"


def dead_letters(ctx: Context) -> list[dict[str, Any]]:
    with ctx.sessions() as session:
        query = select(outbox.HubDeliveryRow).where(outbox.HubDeliveryRow.status == "dead")
        return [_delivery_doc(d) for d in session.scalars(query.order_by(outbox.HubDeliveryRow.id))]


def replay(ctx: Context, delivery_id: int) -> dict[str, Any] | None:
    """Put a dead letter back in the queue; None if there is no such dead letter."""
    with ctx.transaction() as session:
        row = session.get(outbox.HubDeliveryRow, delivery_id)
        if row is None or row.status != "dead":
            return None
        row.status, row.attempts, row.next_attempt = "pending", 0, utcnow()
        return _delivery_doc(row)


def _delivery_doc(row: outbox.HubDeliveryRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "eventSeq": row.seq,
        "hubId": row.hub_id,
        "callback": row.callback,
        "status": row.status,
        "attempts": row.attempts,
        "lastError": row.last_error,
        "nextAttempt": _iso(row.next_attempt),
    }


def _iso(value: datetime) -> str:
    return value.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"  # stored in UTC
