"""Server-sent events for the console: order state changes as they land in the order store.

Each stream polls the store (one indexed query a second) and ends after `STREAM_SECONDS`; the
browser's EventSource reconnects by itself (`retry`), so a stream never holds a shutdown of
`rom serve` for long. A reconnecting browser sends `Last-Event-ID` (the last update time it saw)
and gets what changed since.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from api.console.reads import changed_since
from inventory.context import Context

POLL_SECONDS = 1.0
STREAM_SECONDS = 25.0
HEARTBEAT_SECONDS = 10.0


def _since(last_event_id: str | None) -> datetime:
    try:
        parsed = datetime.fromisoformat(last_event_id or "")
    except ValueError:
        return datetime.now(UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def order_changes(request: Request, ctx: Context, last_event_id: str | None) -> AsyncIterator[str]:
    """`event: order` with the order's list line as JSON, `id` the update time it carries."""
    since = _since(last_event_id)
    yield "retry: 1000\n\n"
    ends = time.monotonic() + STREAM_SECONDS
    beat = time.monotonic()
    while time.monotonic() < ends and not await request.is_disconnected():
        for updated, line in await run_in_threadpool(changed_since, ctx, since):
            data = json.dumps(line.to_json())
            yield f"id: {updated.isoformat()}\nevent: order\ndata: {data}\n\n"
            since = updated
        if time.monotonic() - beat > HEARTBEAT_SECONDS:
            beat = time.monotonic()
            yield ": still here\n\n"
        await asyncio.sleep(POLL_SECONDS)
