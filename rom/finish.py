"""Record how an order ended (resources, item and order states, cancel tasks, events) in one transaction."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.pools import keep_order, release_order
from inventory.store import Resource
from inventory.tmf639 import resource_doc
from rom import store
from rom.context import Context
from rom.events import RESOURCE_TOPIC, now_iso, resource_event
from rom.planner import PlannedItem
from rom.transitions import item_state, set_state


def finish_order(
    ctx: Context,
    order_id: str,
    items: list[PlannedItem],
    problems: list[str],
    cancelled: bool,
    remarks: list[str] | None = None,
) -> str:
    """`remarks`: what the order should tell its reader whatever the outcome (e.g. skipped checks)."""
    with ctx.transaction() as session:
        row = store.get_order(session, order_id)
        assert row is not None
        if remarks:
            row.doc = {**row.doc, "note": [*row.doc.get("note", []), *_notes(remarks)]}
        if cancelled:
            _cancel(session, row)
        elif problems:
            _fail(session, row, problems)
        else:
            _complete(session, row, items)
        _settle_cancel_tasks(session, row)
        store.add_step(session, order_id, row.state)
        store.release_devices(session, order_id)
        row.owner, row.lease_until = None, None
        return row.state


def cancel_waiting(session: Session, row: store.OrderRow) -> None:
    """Cancel an order nothing has been pushed for: straight through the cancellation states."""
    _cancel(session, row)


def _cancel(session: Session, row: store.OrderRow) -> None:
    set_state(session, row, "assessingCancellation")
    set_state(session, row, "pendingCancellation")
    set_state(session, row, "cancelled", completionDate=now_iso())
    release_order(session, row.id)


def _complete(session: Session, row: store.OrderRow, items: list[PlannedItem]) -> None:
    created = {}
    for item in items:
        resource = Resource(
            id=str(uuid.uuid4()),
            name=item.resource_name,
            category=item.spec.category,
            spec_id=item.spec.id,
            spec_version=item.spec.version,
            device=item.device,
            characteristics=item.values,
            order_id=row.id,
            order_item_id=item.item_id,
        )
        session.add(resource)
        session.flush()
        body = resource_doc(resource)
        store.add_event(
            session,
            RESOURCE_TOPIC,
            resource.id,
            resource_event("ResourceCreateEvent", body, row.correlation_id),
        )
        created[item.item_id] = {"id": body["id"], "href": body["href"]}
    doc = dict(row.doc)
    doc["orderItem"] = [
        item_state(it, "completed", resource={**it.get("resource", {}), **created[it["id"]]})
        for it in doc["orderItem"]
    ]
    row.doc = doc
    keep_order(session, row.id, {item_id: ref["id"] for item_id, ref in created.items()})
    set_state(session, row, "completed", completionDate=now_iso())


def _fail(session: Session, row: store.OrderRow, problems: list[str]) -> None:
    doc = dict(row.doc)
    doc["orderItem"] = [item_state(it, "failed") for it in doc["orderItem"]]
    doc["note"] = [*doc.get("note", []), *_notes(problems)]
    row.doc = doc
    set_state(session, row, "failed", completionDate=now_iso())
    release_order(session, row.id)


def _notes(texts: list[str]) -> list[dict[str, str]]:
    return [{"date": now_iso(), "author": "ROM", "text": text} for text in texts]


def _settle_cancel_tasks(session: Session, row: store.OrderRow) -> None:
    """Cancellation requests for this order end with it: done if it was cancelled, else too late."""
    query = select(store.CancelRow).where(
        store.CancelRow.order_id == row.id, store.CancelRow.state == "inProgress"
    )
    for task in session.scalars(query):
        if row.state == "cancelled":
            task.state, extra = "done", {"effectiveCancellationDate": now_iso()}
        else:
            task.state, extra = (
                "terminatedWithError",
                {"errorMessage": f"order ended {row.state} before it could be cancelled"},
            )
        task.doc = {**task.doc, **extra, "state": task.state}
