"""The outbox relay: events leave the database for Kafka and for TMF hub callbacks.

At least once: an event is marked relayed only after Kafka acknowledged it (idempotent producer,
acks=all) and its hub deliveries were recorded. Hub deliveries retry with exponential backoff and
become dead letters after `max_attempts`; dead letters can be listed and replayed. One process
relays at a time (a lease in the database).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from core import outbox
from core.db import utcnow
from events.hub_registry import matches, parse_query
from inventory.context import Context

log = logging.getLogger(__name__)
LEASE = "outbox-relay"


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

    async def run(self, stop: asyncio.Event, interval: float = 0.2) -> None:
        async with httpx.AsyncClient(timeout=5.0) as client:
            try:
                while not stop.is_set():
                    try:
                        if await asyncio.to_thread(self._lease):
                            await self.relay_once(client)
                    except Exception:
                        log.exception("outbox relay pass failed; retrying")
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), interval)
            finally:
                await self.close()

    async def close(self) -> None:
        """Flush and stop the Kafka producer, if one was started."""
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    def _lease(self) -> bool:
        now = utcnow()
        with self._ctx.transaction() as session:
            return outbox.take_lease(session, LEASE, self._owner, now, now + timedelta(seconds=15))

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
            producer = await self._kafka()
            sent = [
                await producer.send(e.topic, key=e.key.encode(), value=json.dumps(e.payload).encode())
                for e in events
            ]
            await asyncio.gather(*sent)
        await asyncio.to_thread(self._mark_relayed, [e.seq for e in events])
        return len(events)

    async def _kafka(self) -> Any:
        if self._producer is None:
            from aiokafka import AIOKafkaProducer

            self._producer = AIOKafkaProducer(
                bootstrap_servers=self._ctx.settings.kafka_bootstrap,
                acks="all",
                enable_idempotence=True,
                linger_ms=5,
                compression_type="gzip",
            )
            await self._producer.start()
        return self._producer

    def _undelivered(self) -> list[outbox.OutboxRow]:
        with self._ctx.sessions() as session:
            query = select(outbox.OutboxRow).where(outbox.OutboxRow.delivered.is_(None))
            return list(session.scalars(query.order_by(outbox.OutboxRow.seq).limit(self._batch)))

    def _mark_relayed(self, seqs: list[int]) -> None:
        now = utcnow()
        with self._ctx.transaction() as session:
            hubs = [(h, parse_query(h.query)) for h in session.scalars(select(outbox.HubRow))]
            for row in session.scalars(select(outbox.OutboxRow).where(outbox.OutboxRow.seq.in_(seqs))):
                row.delivered = now
                for hub, query in hubs:
                    if matches(row.payload, query):
                        url = listener_url(hub.callback, row.payload.get("eventType", "event"))
                        session.add(
                            outbox.HubDeliveryRow(seq=row.seq, hub_id=hub.id, callback=url, next_attempt=now)
                        )

    async def _deliver_due(self, client: httpx.AsyncClient) -> None:
        due = await asyncio.to_thread(self._due)
        results = await asyncio.gather(*(self._post(client, url, body) for _, url, body in due))
        await asyncio.to_thread(self._record, [(d[0], err) for d, err in zip(due, results, strict=True)])

    def _due(self) -> list[tuple[int, str, dict[str, Any]]]:
        with self._ctx.sessions() as session:
            query = (
                select(outbox.HubDeliveryRow, outbox.OutboxRow.payload)
                .join(outbox.OutboxRow, outbox.OutboxRow.seq == outbox.HubDeliveryRow.seq)
                .where(
                    outbox.HubDeliveryRow.status == "pending", outbox.HubDeliveryRow.next_attempt <= utcnow()
                )
                .order_by(outbox.HubDeliveryRow.id)
                .limit(100)
            )
            return [(d.id, d.callback, payload) for d, payload in session.execute(query)]

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
