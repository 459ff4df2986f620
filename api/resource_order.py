"""TMF652 resourceOrder endpoints."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api.deps import ContextDep, CorrelationDep
from rom import orders
from rom.errors import InvalidRequest
from rom.lifecycle import ORDER_STATES
from rom.metrics import ORDERS_REJECTED, ORDERS_SUBMITTED
from rom.tmf import ResourceOrderCreate

router = APIRouter(prefix="/tmf-api/resourceOrderingManagement/v4", tags=["resourceOrder"])


@router.post("/resourceOrder", status_code=201)
def create_resource_order(
    body: ResourceOrderCreate,
    ctx: ContextDep,
    correlation: CorrelationDep,
    request: Request,
    response: Response,
) -> dict[str, Any]:
    try:
        doc = orders.submit_order(ctx, body, correlation)
    except InvalidRequest:
        ORDERS_REJECTED.inc()
        raise
    ORDERS_SUBMITTED.inc()
    request.app.state.worker.notify()
    response.headers["Location"] = doc["href"]
    response.headers["X-Correlation-ID"] = correlation
    return doc


@router.get("/resourceOrder")
def list_resource_orders(
    ctx: ContextDep,
    response: Response,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    state: str | None = None,
) -> list[dict[str, Any]]:
    if state is not None and state not in ORDER_STATES:
        raise InvalidRequest(f"unknown state {state!r}")
    docs, total = orders.list_orders(ctx, offset, limit, state)
    response.headers["X-Total-Count"] = str(total)
    response.headers["X-Result-Count"] = str(len(docs))
    return docs


@router.get("/resourceOrder/{order_id}")
def retrieve_resource_order(order_id: str, ctx: ContextDep) -> dict[str, Any]:
    return orders.get_order(ctx, order_id)
