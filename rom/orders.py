"""Order intake and queries: validate, persist with its event, answer in TMF shape."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from inventory.store import list_devices
from rom import store
from rom.context import Context
from rom.errors import NotFound
from rom.events import ORDER_TOPIC, now_iso, order_event
from rom.planner import plan_order
from rom.tmf import ResourceOrderCreate

ORDER_PATH = "/tmf-api/resourceOrderingManagement/v4/resourceOrder"


def submit_order(ctx: Context, body: ResourceOrderCreate, correlation_id: str) -> dict[str, Any]:
    """Validate the whole order against catalog and inventory, then persist it acknowledged.

    Raises InvalidRequest before anything is written.
    """
    with ctx.transaction() as session:
        platforms = {d.name: d.platform for d in list_devices(session)}
        plan_order(body, ctx.catalog, platforms)
        order_id = str(uuid.uuid4())
        request = body.model_dump(mode="json", by_alias=True, exclude_none=True)
        doc = _initial_doc(order_id, request)
        session.add(
            store.OrderRow(
                id=order_id,
                external_id=body.externalId,
                state="acknowledged",
                correlation_id=correlation_id,
                doc=doc,
                request=request,
            )
        )
        store.add_event(
            session, ORDER_TOPIC, order_id, order_event("ResourceOrderCreateEvent", doc, correlation_id)
        )
    return doc


def get_order(ctx: Context, order_id: str) -> dict[str, Any]:
    with ctx.sessions() as session:
        row = store.get_order(session, order_id)
        if row is None:
            raise NotFound(f"resourceOrder {order_id} not found")
        return row.doc


def list_orders(
    ctx: Context, offset: int, limit: int, state: str | None = None
) -> tuple[list[dict[str, Any]], int]:
    with ctx.sessions() as session:
        query = select(store.OrderRow)
        if state:
            query = query.where(store.OrderRow.state == state)
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(store.OrderRow.created.desc()).offset(offset).limit(limit))
        return [r.doc for r in rows], total


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
