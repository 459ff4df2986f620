"""Order intake, queries and client changes (PATCH, DELETE), in TMF652 shape."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import outbox
from core.db import Prepared, table, utcnow
from core.errors import Conflict, InvalidRequest, NotFound
from core.events import ORDER_TOPIC, now_iso, order_event
from core.order_states import TERMINAL_STATES
from core.query import Column, PageRequest, fetch_page, project
from core.tmf652 import ResourceOrderCreate, ResourceOrderUpdate
from intent.planner import CurrentResource, modified_ids, plan_order
from intent.yang.check import check_request
from inventory.context import Context
from inventory.intake import reserve_order
from inventory.ownership import check_owners, lock_devices, own_intents
from inventory.records import Resource, device_platforms
from rom import order_claims, order_store
from rom.resource_refs import allocate_resource_ids
from rom.transitions import set_state, touch_doc

ORDER_PATH = "/tmf-api/resourceOrderingManagement/v4/resourceOrder"
COLUMNS = {
    "id": Column(order_store.OrderRow.id),
    "state": Column(order_store.OrderRow.state),
    "externalId": Column(order_store.OrderRow.external_id),
    "name": Column(order_store.OrderRow.name),
    "category": Column(order_store.OrderRow.category),
    "orderType": Column(order_store.OrderRow.order_type),
    "priority": Column(order_store.OrderRow.priority, int),
    "orderDate": Column(order_store.OrderRow.order_date, datetime),
    "requestedStartDate": Column(order_store.OrderRow.requested_start, datetime),
}
# PATCH may move a waiting order between these states; everything else is the system's to decide.
CLIENT_STATES = {"acknowledged": {"held"}, "pending": {"held"}, "held": {"pending"}}


def idempotency_key(body: ResourceOrderCreate) -> str | None:
    if body.externalId:
        return f"externalId:{body.externalId}"
    if body.externalReference:
        refs = sorted(f"{r.externalReferenceType or ''}/{r.id}" for r in body.externalReference)
        return "externalReference:" + ",".join(refs)
    return None


def request_hash(request: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def submit_order(
    ctx: Context, body: ResourceOrderCreate, correlation_id: str, principal: str = "anonymous"
) -> tuple[dict[str, Any], bool]:
    """Validate and persist an order `acknowledged`, recording who submitted it; returns (order, replayed).

    A replay (same externalId/externalReference and body) returns the first order and creates
    nothing; the same key with another body is a Conflict. Nothing is written on InvalidRequest.
    """
    request = body.model_dump(mode="json", by_alias=True, exclude_none=True)
    key, digest = idempotency_key(body), request_hash(request)
    try:
        return _insert(ctx, body, request, key, digest, correlation_id, principal)
    except IntegrityError:
        if key is None:
            raise
    with ctx.sessions() as session:  # lost a race with an identical key: answer as a replay
        existing = _by_key(session, key)
    if existing is None:
        raise Conflict(f"order with {key} is being created; retry")
    return _replay(existing, key, digest), True


def _insert(
    ctx: Context,
    body: ResourceOrderCreate,
    request: dict[str, Any],
    key: str | None,
    digest: str,
    cid: str,
    principal: str,
) -> tuple[dict[str, Any], bool]:
    with ctx.transaction() as session:
        platforms = device_platforms(session)
        current = current_resources(session, body)
        items = plan_order(body, ctx.catalog, platforms, current)
        if key is not None and (existing := _by_key(session, key)) is not None:
            return _replay(existing, key, digest), True
        wants = own_intents(ctx, items)  # rendered before the locks: intakes wait less on each other
        claimed = order_claims.claims_by_item(wants)
        lock_devices(
            session, {t.device for i in items if i.action == "add" or i.action == "modify" for t in i.targets}
        )
        pending = order_claims.pending(ctx, session, items, claimed)
        check_owners(ctx, session, items, pending, wants, claimed)  # Conflict: a repeat, a path owned
        order_id = str(uuid.uuid4())
        filled = reserve_order(session, order_id, items, request)  # Conflict: nothing is written
        pairs = zip(request["orderItem"], filled["orderItem"], strict=True)
        refilled = {str(a["id"]) for a, b in pairs if a != b}  # the items the pools filled values into
        request = allocate_resource_ids(filled)
        replanned = order_claims.planned_adds(ctx, order_id, request, platforms, refilled)
        again = {item.item_id: item for _owner, item in replanned}  # planned once, for YANG and claims
        yang_path = ctx.settings.yang_path  # 422: a payload its device's YANG refuses
        planned = [again.get(item.item_id, item) for item in items]
        rendered = {i: w for i, w in wants.items() if i not in again}  # rendered from `planned`'s very items
        checked = check_request(ctx.catalog, request, platforms, current, yang_path, planned, rendered)
        order_claims.record(ctx, session, order_id, items, claimed, replanned)
        doc = _initial_doc(order_id, request)
        submitter = {"id": principal, "name": principal, "role": "submitter", "@referredType": "APIClient"}
        doc["relatedParty"] = [*doc.get("relatedParty", []), submitter]
        now = utcnow()  # the column defaults SQLAlchemy's insert filled in (Prepared runs none)
        _ADD_ORDER.execute(
            session,
            dict(
                id=order_id,
                state="acknowledged",
                external_id=body.externalId,
                name=body.name,
                category=body.category,
                order_type=body.orderType,
                priority=body.priority,
                order_date=datetime.fromisoformat(doc["orderDate"].replace("Z", "+00:00")),
                requested_start=_parse_date(body.requestedStartDate, "requestedStartDate"),
                idempotency_key=key,
                request_hash=digest,
                cancel_requested=False,
                devices=sorted({t.device for i in items for t in i.targets} | {i.device for i in items}),
                owner=None,
                lease_until=None,
                attempts=0,
                correlation_id=cid,
                submitted_by=principal,
                doc=doc,
                request=request,
                yang_checked=checked,
                updated=now,
            ),
        )
        outbox.add_event(session, ORDER_TOPIC, order_id, order_event("ResourceOrderCreateEvent", doc, cid))
        return doc, False


# every column given (an IntegrityError on the idempotency key still answers as a replay)
_ADD_ORDER = Prepared(
    insert(table(order_store.OrderRow)), [c.name for c in table(order_store.OrderRow).columns]
)


def runnable_now(body: ResourceOrderCreate) -> bool:
    """Whether an accepted order may start now (a later requestedStartDate: the worker's regular
    look finds it when its time comes, so nobody needs waking for it)."""
    start = _parse_date(body.requestedStartDate, "requestedStartDate")
    return start is None or start <= datetime.now(UTC)


def current_resources(session: Session, order: ResourceOrderCreate) -> dict[str, CurrentResource]:
    """The inventory resources the order's modify/delete/noChange items name (missing ones are
    left out: the planner refuses those items)."""
    rows = [session.get(Resource, resource_id) for resource_id in modified_ids(order)]
    return {r.id: CurrentResource(r.spec_id, r.name, dict(r.characteristics or {})) for r in rows if r}


class _Keyed(NamedTuple):
    """What a replay needs of the order already holding an idempotency key."""

    id: str
    request_hash: str
    doc: dict[str, Any]


def _by_key(session: Session, key: str) -> _Keyed | None:
    """The order holding `key` (`order_store.order_by_key`'s row, as `_replay` needs it)."""
    for order_id, digest, doc in _BY_KEY.execute(session, {"key": key}):
        return _Keyed(order_id, digest, doc)
    return None


_ORDERS = table(order_store.OrderRow)
_BY_KEY = Prepared(
    select(_ORDERS.c.id, _ORDERS.c.request_hash, _ORDERS.c.doc).where(
        _ORDERS.c.idempotency_key == bindparam("key")
    )
)


def _replay(existing: _Keyed, key: str, digest: str) -> dict[str, Any]:
    if existing.request_hash != digest:
        raise Conflict(f"an order with {key} already exists with a different body ({existing.id})")
    return existing.doc


def _parse_date(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequest(f"{name}: {value!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise InvalidRequest(f"{name}: {value!r} needs a time zone (e.g. Z)")
    return parsed


def get_order(ctx: Context, order_id: str, fields: str | None = None) -> dict[str, Any]:
    with ctx.sessions() as session:
        row = order_store.get_order(session, order_id)
        if row is None:
            raise NotFound(f"resourceOrder {order_id} not found")
        return project(row.doc, fields)


def list_orders(ctx: Context, page: PageRequest) -> tuple[list[dict[str, Any]], int]:
    with ctx.sessions() as session:
        return fetch_page(session, order_store.OrderRow, COLUMNS, "-orderDate", page, lambda r: r.doc)


def patch_order(ctx: Context, order_id: str, patch: ResourceOrderUpdate) -> dict[str, Any]:
    """JSON merge-patch of a waiting order; `state` may only hold or release it."""
    changes = patch.model_dump(mode="json", by_alias=True, exclude_unset=True)
    with ctx.transaction() as session:
        locked = order_store.lock_if_waiting(session, order_id)  # a claimed order is no longer waiting
        row = order_store.get_order(session, order_id)
        if row is None:
            raise NotFound(f"resourceOrder {order_id} not found")
        if not locked:
            raise Conflict(f"resourceOrder {order_id} is {row.state}; only waiting orders can be changed")
        new_state = changes.pop("state", None)
        if "requestedStartDate" in changes:
            row.requested_start = _parse_date(changes["requestedStartDate"], "requestedStartDate")
        for attr, column in (("name", "name"), ("category", "category"), ("priority", "priority")):
            if attr in changes:
                setattr(row, column, changes[attr])
        if changes:
            touch_doc(session, row, changes)
        if new_state is not None and new_state != row.state:
            if new_state not in CLIENT_STATES.get(row.state, set()):
                raise Conflict(f"state cannot be changed from {row.state} to {new_state} by a client")
            set_state(session, row, new_state)
        return row.doc


def delete_order(ctx: Context, order_id: str) -> None:
    with ctx.transaction() as session:
        row = order_store.get_order(session, order_id)
        if row is None:
            raise NotFound(f"resourceOrder {order_id} not found")
        if row.state not in TERMINAL_STATES:
            raise Conflict(f"resourceOrder {order_id} is {row.state}; cancel it before deleting it")
        outbox.add_event(
            session, ORDER_TOPIC, row.id, order_event("ResourceOrderDeleteEvent", row.doc, row.correlation_id)
        )
        session.delete(row)


def _initial_doc(order_id: str, request: dict[str, Any]) -> dict[str, Any]:
    doc = dict(request)
    doc.update(
        {
            "id": order_id,
            "href": f"{ORDER_PATH}/{order_id}",
            "@type": request.get("@type", "ResourceOrder"),
            "state": "acknowledged",
            "orderDate": now_iso(),
        }
    )
    doc["orderItem"] = [{**item, "state": "acknowledged"} for item in request["orderItem"]]
    return doc


def count_by_state(ctx: Context) -> dict[str, int]:
    with ctx.sessions() as session:
        column = order_store.OrderRow.state
        rows = session.execute(select(column, func.count()).group_by(column))
        return {state: int(n) for state, n in rows}
