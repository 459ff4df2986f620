"""The outbox relay delivering TMF events to hub callbacks over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

import events.relay
from core import outbox
from core.db import utcnow
from core.tmf652 import EventSubscriptionInput, ResourceOrderCreate
from events import hub_registry, relay
from inventory.context import Context
from inventory.records import Device, upsert_device
from lab.support import free_port
from rom.orders import submit_order
from tests.integration.conftest import l3vpn_item, make_settings, order


class Listener:
    """An HTTP listener that answers 503 to its first `failures` requests."""

    def __init__(self, failures: int) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.failures = failures
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if listener.failures > 0:
                    listener.failures -= 1
                    self.send_response(503)
                else:
                    listener.received.append((self.path, body))
                    self.send_response(201)
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cb"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Context]:
    monkeypatch.setattr(events.relay, "backoff", lambda attempts: timedelta(0))
    context = Context.create(make_settings(tmp_path))
    with context.transaction() as session:
        upsert_device(session, Device(name="pe1", host="127.0.0.1", port=1, platform="rom-router"))
    yield context
    context.engine.dispose()


def passes(ctx: Context, count: int, max_attempts: int = 8) -> None:
    async def run() -> None:
        async with httpx.AsyncClient(timeout=5) as client:
            outbox = relay.OutboxRelay(ctx, "test", max_attempts=max_attempts)
            for _ in range(count):
                await outbox.relay_once(client)

    asyncio.run(run())


def submit(ctx: Context, cid: str) -> str:
    body = order(l3vpn_item("1", "pe1", "VR", 10), requestedStartDate="2099-01-01T00:00:00Z")
    doc, _ = submit_order(ctx, ResourceOrderCreate.model_validate(body), cid)
    return str(doc["id"])


def test_events_reach_matching_hubs_once_after_retries(ctx: Context) -> None:
    creates, changes = Listener(failures=2), Listener(failures=0)
    hub_registry.register(
        ctx, EventSubscriptionInput(callback=creates.url, query="eventType=ResourceOrderCreateEvent")
    )
    hub_registry.register(
        ctx, EventSubscriptionInput(callback=changes.url, query="eventType=ResourceOrderStateChangeEvent")
    )
    order_id = submit(ctx, "corr-1")
    passes(ctx, 4)
    assert [path for path, _ in creates.received] == ["/cb/listener/resourceOrderCreateEvent"]
    event = creates.received[0][1]
    assert event["correlationId"] == "corr-1" and event["event"]["resourceOrder"]["id"] == order_id
    assert changes.received == []
    assert relay.dead_letters(ctx) == []


def test_dead_letters_are_kept_and_replayable(ctx: Context) -> None:
    port = free_port()  # nothing listens here yet
    hub_registry.register(ctx, EventSubscriptionInput(callback=f"http://127.0.0.1:{port}/cb"))
    submit(ctx, "corr-2")
    passes(ctx, 3, max_attempts=2)
    [dead] = relay.dead_letters(ctx)
    assert dead["attempts"] == 2 and dead["status"] == "dead" and dead["lastError"]
    assert relay.replay(ctx, dead["id"])["status"] == "pending"  # type: ignore[index]
    assert relay.replay(ctx, 999) is None
    assert relay.dead_letters(ctx) == []


def test_a_held_lease_is_renewed_only_near_its_end_and_no_one_else_takes_it(ctx: Context) -> None:
    first, second = relay.OutboxRelay(ctx, "first"), relay.OutboxRelay(ctx, "second")
    assert first._lease() and not second._lease()
    with ctx.sessions() as session:
        until = session.get(outbox.LeaseRow, relay.LEASE).until  # type: ignore[union-attr]
    assert first._lease()  # still held for ~15 s: not written again
    with ctx.sessions() as session:
        assert session.get(outbox.LeaseRow, relay.LEASE).until == until  # type: ignore[union-attr]
    first._held_until = utcnow() + relay.RENEW_WITHIN / 2  # near its end: renewed
    assert first._lease() and not second._lease()
    with ctx.sessions() as session:
        assert session.get(outbox.LeaseRow, relay.LEASE).until > until  # type: ignore[union-attr]


def test_events_are_marked_relayed_in_order_without_hubs(ctx: Context) -> None:
    bodies = [
        order(l3vpn_item("1", "pe1", f"V{n}", 20 + n), requestedStartDate="2099-01-01T00:00:00Z")
        for n in range(3)
    ]
    ids = [submit_order(ctx, ResourceOrderCreate.model_validate(b), "cid")[0]["id"] for b in bodies]
    with ctx.sessions() as session:
        events = outbox.list_events(session)
        assert [e.key for e in events] == ids and all(e.delivered is None for e in events)
        assert [e.payload["event"]["resourceOrder"]["id"] for e in events] == ids  # JSON as stored by the ORM
        assert all(e.created.tzinfo is not None and e.created <= utcnow() for e in events)
    passes(ctx, 1)
    with ctx.sessions() as session:
        assert all(e.delivered is not None for e in outbox.list_events(session))
