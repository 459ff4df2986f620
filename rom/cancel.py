"""TMF652 cancelResourceOrder: a task that cancels a waiting order at once, or an in-flight one at
its next cancellation point (before devices are confirmed, which rolls every device back)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from core import outbox
from core.errors import InvalidRequest, NotFound
from core.events import ORDER_TOPIC, envelope, now_iso
from core.order_states import TERMINAL_STATES
from core.query import Column, PageRequest, fetch_page, project
from core.tmf652 import CancelResourceOrderCreate
from inventory.context import Context
from rom import order_store
from rom.finish import cancel_waiting
from rom.orders import ORDER_PATH

CANCEL_PATH = "/tmf-api/resourceOrderingManagement/v4/cancelResourceOrder"
COLUMNS = {
    "id": Column(order_store.CancelRow.id),
    "state": Column(order_store.CancelRow.state),
    "resourceOrder.id": Column(order_store.CancelRow.order_id),
    "creationDate": Column(order_store.CancelRow.created, datetime),
}


def request_cancellation(
    ctx: Context, body: CancelResourceOrderCreate, correlation_id: str
) -> dict[str, Any]:
    with ctx.transaction() as session:
        waiting = order_store.lock_if_waiting(session, body.resourceOrder.id)  # not claimed by a worker
        row = order_store.get_order(session, body.resourceOrder.id)
        if row is None:
            raise InvalidRequest(f"resourceOrder {body.resourceOrder.id} not found")
        task_id = str(uuid.uuid4())
        doc: dict[str, Any] = {
            **body.model_dump(mode="json", by_alias=True, exclude_none=True),
            "id": task_id,
            "href": f"{CANCEL_PATH}/{task_id}",
            "@type": body.type_ or "CancelResourceOrder",
            "resourceOrder": {"id": row.id, "href": f"{ORDER_PATH}/{row.id}"},
            "creationDate": now_iso(),
        }
        if row.state in TERMINAL_STATES:
            state = "terminatedWithError"
            doc["errorMessage"] = f"resourceOrder {row.id} is already {row.state}"
        elif waiting:
            cancel_waiting(session, row)
            state = "done"
            doc["effectiveCancellationDate"] = now_iso()
        else:
            row.cancel_requested = True
            state = "inProgress"
        doc["state"] = state
        session.add(order_store.CancelRow(id=task_id, order_id=row.id, state=state, doc=doc))
        event = envelope(
            "CancelResourceOrderCreateEvent",
            "resourceOrderingManagement",
            "cancelResourceOrder",
            doc,
            correlation_id,
            "CancelResourceOrderCreateEvent",
        )
        outbox.add_event(session, ORDER_TOPIC, row.id, event)
        return doc


def get_cancellation(ctx: Context, task_id: str, fields: str | None = None) -> dict[str, Any]:
    with ctx.sessions() as session:
        row = session.get(order_store.CancelRow, task_id)
        if row is None:
            raise NotFound(f"cancelResourceOrder {task_id} not found")
        return project(row.doc, with_mandatory(fields))


def list_cancellations(ctx: Context, page: PageRequest) -> tuple[list[dict[str, Any]], int]:
    with ctx.sessions() as session:
        page = replace(page, fields=with_mandatory(page.fields))
        return fetch_page(session, order_store.CancelRow, COLUMNS, "-creationDate", page, lambda r: r.doc)


def with_mandatory(fields: str | None) -> str | None:
    """`fields=` keeps what TMF652 makes mandatory in a CancelResourceOrder (besides id, href)."""
    return f"{fields},resourceOrder" if fields else fields
