"""Record how an order ended (resources, item and order states, cancel tasks, events) in one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from core import outbox
from core.db import Prepared, table, utcnow
from core.errors import RomError
from core.events import RESOURCE_TOPIC, now_iso, resource_event
from core.order_states import TERMINAL_STATES
from drivers.transaction import TransactionOutcome
from intent.fingerprint import PartPrint
from intent.planner import PlannedItem
from inventory import audit, fingerprints
from inventory.context import Context
from inventory.intake import reserve_resource
from inventory.intents import part_key
from inventory.pools import keep_order, release_order
from inventory.records import Resource, add_resource, new_resource
from inventory.resources import remove_resource
from inventory.tmf639 import resource_doc
from rom import order_store
from rom.resource_refs import allocated_id
from rom.transitions import item_state, set_state


class OrderTakenOver(RomError):
    """Another process took the order over (its lease ran out) before this one could end it."""


def finish_order(
    ctx: Context,
    order_id: str,
    items: list[PlannedItem],
    problems: list[str],
    cancelled: bool,
    remarks: list[str] | None = None,
    applied: set[str] | None = None,
    prints: Mapping[tuple[str, int], PartPrint] | None = None,
    audited: Sequence[TransactionOutcome] = (),
    steps: Sequence[order_store.Step] = (),
    checks: list[dict[str, Any]] | None = None,
    owner: str | None = None,
) -> str:
    """`remarks`: what the order should tell its reader whatever the outcome (e.g. skipped checks).
    `applied`: a partial order's item ids that were applied (None: all-or-nothing).
    `prints`: the fingerprints of the parts the post-check read back, recorded for the resources
    (so drift learns the order's result without reading the devices again).
    `audited`: the order's transactions, whose audit entries are written here. `steps`: steps
    the executor has not written yet (e.g. a failed post-check's probe results). `checks`: the
    post-checks' results (reachability probes), carried by each of the order's audit entries.
    `owner`: the process that ran it; a retried finish whose first commit landed returns the state
    it wrote, and one whose order another process has taken over raises `OrderTakenOver`."""
    with ctx.transaction() as session:
        row = _order(session, order_id)
        if owner is not None and row.state in TERMINAL_STATES:
            return row.state
        if owner is not None and row.owner != owner:
            raise OrderTakenOver(f"resourceOrder {order_id} is now run by {row.owner}")
        who = (row.correlation_id, audit.submitter(row.doc))
        audit.add(session, (e for tx in audited for e in audit.entries(tx, order_id, *who, utcnow(), checks)))
        order_store.add_steps(session, order_id, steps)
        if remarks:
            row.doc = {**row.doc, "note": [*row.doc.get("note", []), *_notes(remarks)]}
        done = [i for i in items if applied is None or i.item_id in applied]
        if cancelled:
            _cancel(session, row)
        elif problems and not (applied and done):
            _fail(session, row, problems)
        elif problems:
            _complete(session, row, done, prints or {}, problems)
        else:
            _complete(session, row, items, prints or {})
        if row.cancel_requested:  # an inProgress cancel task is made only with this flag
            _settle_cancel_tasks(session, row)
        order_store.add_step(session, order_id, row.state)
        order_store.release_devices(session, order_id)
        ended = {"state": row.state, "doc": row.doc, "owner": None, "lease_until": None, "updated": utcnow()}
        _END.execute(session, {"id": row.id, **ended})
        state = row.state
    return state


def _order(session: Session, order_id: str) -> order_store.OrderRow:
    """The order's row as finish needs it, outside the session (no unit of work to flush: `_END`
    writes what changed)."""
    found = _ROW.execute(session, {"id": order_id})
    assert found, order_id
    ((state, owner, cancel_requested, correlation_id, doc),) = found
    return order_store.OrderRow(
        id=order_id,
        state=state,
        owner=owner,
        cancel_requested=bool(cancel_requested),
        correlation_id=correlation_id,
        doc=doc,
    )


_ORDERS = table(order_store.OrderRow)
_ROW = Prepared(
    select(
        _ORDERS.c.state, _ORDERS.c.owner, _ORDERS.c.cancel_requested, _ORDERS.c.correlation_id, _ORDERS.c.doc
    ).where(_ORDERS.c.id == bindparam("id"))
)
# the order's end: its state and document, and no owner any more
_END = Prepared(
    update(_ORDERS)
    .where(_ORDERS.c.id == bindparam("id"))
    .values({c: bindparam(c) for c in ("state", "doc", "owner", "lease_until", "updated")})
)


def cancel_waiting(session: Session, row: order_store.OrderRow) -> None:
    """Cancel an order nothing has been pushed for: straight through the cancellation states."""
    _cancel(session, row)


def _cancel(session: Session, row: order_store.OrderRow) -> None:
    set_state(session, row, "assessingCancellation")
    set_state(session, row, "pendingCancellation")
    set_state(session, row, "cancelled", completionDate=now_iso())
    release_order(session, row.id)


def _complete(
    session: Session,
    row: order_store.OrderRow,
    items: list[PlannedItem],
    prints: Mapping[tuple[str, int], PartPrint],
    problems: list[str] | None = None,
) -> None:
    """Record the applied `items` (and their parts' fingerprints); with `problems` the order's
    other items failed: `partial`."""
    refs: dict[str, dict[str, str]] = {}
    alive: dict[str, Resource] = {}  # held here: the session keeps a flushed, clean object weakly
    for item in items:
        resource: Resource | None
        if item.action == "add":
            refs[item.item_id], resource = _create(session, row, item)
        elif item.resource_id is not None:
            refs[item.item_id], resource = _settle(session, item, item.resource_id, row.correlation_id)
        else:
            continue
        if resource is not None:
            alive[resource.id] = resource
    applied = {i.item_id for i in items}
    doc = dict(row.doc)
    doc["orderItem"] = [
        item_state(it, "completed", resource={**it.get("resource", {}), **refs.get(it["id"], {})})
        if it["id"] in applied
        else item_state(it, "failed")
        for it in doc["orderItem"]
    ]
    if problems:
        doc["note"] = [*doc.get("note", []), *_notes(problems)]
    row.doc = doc
    kept = {i.item_id: refs[i.item_id]["id"] for i in items if i.action in ("add", "modify")}
    keep_order(session, row.id, kept)
    for item in items:  # a modify's resource now holds old and added amounts: settle to the new ones
        if item.action == "modify" and kept[item.item_id] in alive:
            reserve_resource(session, item.spec, kept[item.item_id], item.values, again=True)
    fingerprints.record_many(
        session,
        {
            part_key(kept[item_id], n, found.role): (found.intended, found.actual)
            for (item_id, n), found in prints.items()
            if item_id in kept and kept[item_id] in alive
        },
    )
    if problems:
        release_order(session, row.id)  # what the failed items reserved
    set_state(session, row, "partial" if problems else "completed", completionDate=now_iso())


def _create(
    session: Session, row: order_store.OrderRow, item: PlannedItem
) -> tuple[dict[str, str], Resource]:
    resource = new_resource(
        id=allocated_id(row.doc, item.item_id) or str(uuid.uuid4()),
        name=item.resource_name,
        category=item.spec.category,
        spec_id=item.spec.id,
        spec_version=item.spec.version,
        device=item.device,
        characteristics=item.values,
        order_id=row.id,
        order_item_id=item.item_id,
    )
    add_resource(session, resource)
    body = resource_doc(resource)
    outbox.add_event(
        session, RESOURCE_TOPIC, resource.id, resource_event("ResourceCreateEvent", body, row.correlation_id)
    )
    return {"id": body["id"], "href": body["href"]}, resource


def _settle(
    session: Session, item: PlannedItem, resource_id: str, cid: str
) -> tuple[dict[str, str], Resource | None]:
    """modify: the resource takes the item's characteristics (keeping id, name, states); delete: it
    goes, with its reservations; noChange: only referenced. With the resource, unless it is gone."""
    resource = session.get(Resource, resource_id)
    if resource is None:  # deleted through TMF639 while the order ran: nothing left to record
        return {"id": resource_id}, None
    body = resource_doc(resource)
    if item.action == "delete":
        remove_resource(session, resource, cid)
        fingerprints.forget(session, [resource_id])
        return {"id": body["id"], "href": body["href"]}, None
    if item.action == "modify":
        resource.characteristics = dict(item.values)
        session.flush()
        body = resource_doc(resource)
        event = resource_event("ResourceAttributeValueChangeEvent", body, cid)
        outbox.add_event(session, RESOURCE_TOPIC, resource.id, event)
    return {"id": body["id"], "href": body["href"]}, resource


def _fail(session: Session, row: order_store.OrderRow, problems: list[str]) -> None:
    doc = dict(row.doc)
    doc["orderItem"] = [item_state(it, "failed") for it in doc["orderItem"]]
    doc["note"] = [*doc.get("note", []), *_notes(problems)]
    row.doc = doc
    set_state(session, row, "failed", completionDate=now_iso())
    release_order(session, row.id)


def _notes(texts: list[str]) -> list[dict[str, str]]:
    return [{"date": now_iso(), "author": "ROM", "text": text} for text in texts]


def _settle_cancel_tasks(session: Session, row: order_store.OrderRow) -> None:
    """Cancellation requests for this order end with it: done if it was cancelled, else too late."""
    query = select(order_store.CancelRow).where(
        order_store.CancelRow.order_id == row.id, order_store.CancelRow.state == "inProgress"
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
