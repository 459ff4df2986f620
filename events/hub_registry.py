"""TMF event subscriptions (hubs): register, list, remove, and which events a hub's query selects."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qsl

import httpx
from sqlalchemy import select

from core import outbox
from core.errors import InvalidRequest, NotFound
from core.tmf652 import EventSubscriptionInput
from inventory.context import Context


def parse_query(query: str | None) -> list[tuple[str, str]]:
    """`eventType=A,B&event.resourceOrder.state=completed` → pairs; refuses what it cannot read."""
    if not query:
        return []
    try:
        pairs = parse_qsl(query, keep_blank_values=False, strict_parsing=True)
    except ValueError:
        raise InvalidRequest(f"hub query {query!r} is not name=value pairs joined by &") from None
    return pairs


def matches(event: dict[str, Any], pairs: list[tuple[str, str]]) -> bool:
    """Whether every `path=value[,value…]` of the query holds for the event (dotted paths)."""
    for path, wanted in pairs:
        value: Any = event
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if str(value) not in wanted.split(","):
            return False
    return True


def register(ctx: Context, body: EventSubscriptionInput) -> dict[str, Any]:
    parse_query(body.query)
    try:
        httpx.URL(body.callback)
    except httpx.InvalidURL as exc:
        raise InvalidRequest(f"hub callback is not a usable URL: {exc}") from None
    hub_id = str(uuid.uuid4())
    with ctx.transaction() as session:
        session.add(outbox.HubRow(id=hub_id, callback=body.callback, query=body.query or ""))
    return {"id": hub_id, "callback": body.callback, "query": body.query or ""}


def remove(ctx: Context, hub_id: str) -> None:
    with ctx.transaction() as session:
        row = session.get(outbox.HubRow, hub_id)
        if row is None:
            raise NotFound(f"hub {hub_id} not found")
        session.delete(row)


def get(ctx: Context, hub_id: str) -> dict[str, Any]:
    with ctx.sessions() as session:
        row = session.get(outbox.HubRow, hub_id)
        if row is None:
            raise NotFound(f"hub {hub_id} not found")
        return {"id": row.id, "callback": row.callback, "query": row.query}


def all_hubs(ctx: Context) -> list[outbox.HubRow]:
    with ctx.sessions() as session:
        return list(session.scalars(select(outbox.HubRow)))
