"""TMF652 resourceOrder endpoints."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response

from api.deps import ContextDep, CorrelationDep, Page, absolute_hrefs, json_doc, json_page, no_content
from core.errors import InvalidRequest
from core.tmf652 import ResourceOrderCreate, ResourceOrderUpdate
from rom import orders
from rom.metrics import ORDERS_REJECTED, ORDERS_SUBMITTED

router = APIRouter(prefix="/tmf-api/resourceOrderingManagement/v4", tags=["resourceOrder"])
FieldsQuery = Annotated[
    str | None, Query(description="Comma-separated attributes to return (plus id, href).")
]


@router.post("/resourceOrder", status_code=201, response_model=dict[str, Any])
def create_resource_order(
    body: ResourceOrderCreate, ctx: ContextDep, correlation: CorrelationDep, request: Request
) -> Response:
    try:
        doc, replayed = orders.submit_order(ctx, body, correlation, request.state.principal.name)
    except InvalidRequest:
        ORDERS_REJECTED.inc()
        raise
    if not replayed:
        ORDERS_SUBMITTED.inc()
        if orders.runnable_now(body):  # waking the workers costs each a look at the waiting orders
            request.app.state.worker.notify()
    doc = absolute_hrefs(request, doc)
    headers = {"Location": doc["href"], "X-Correlation-ID": correlation}
    if replayed:
        headers["Idempotent-Replay"] = "true"
    return json_doc(doc, 201, headers)


@router.get("/resourceOrder", response_model=list[dict[str, Any]])
def list_resource_orders(ctx: ContextDep, page: Page, request: Request) -> Response:
    docs, total = orders.list_orders(ctx, page)
    return json_page(absolute_hrefs(request, docs), total)


@router.get("/resourceOrder/{order_id}", response_model=dict[str, Any])
def retrieve_resource_order(
    order_id: str, ctx: ContextDep, request: Request, fields: FieldsQuery = None
) -> Response:
    # the completion pollers' read: answered without FastAPI's second hand-off (`json_doc`)
    return json_doc(absolute_hrefs(request, orders.get_order(ctx, order_id, fields)))


@router.patch("/resourceOrder/{order_id}")
def patch_resource_order(
    order_id: str,
    ctx: ContextDep,
    request: Request,
    patch: Annotated[ResourceOrderUpdate, Body(media_type="application/merge-patch+json")],
) -> dict[str, Any]:
    doc = orders.patch_order(ctx, order_id, patch)
    request.app.state.worker.notify()
    patched: dict[str, Any] = absolute_hrefs(request, doc)
    return patched


@router.delete("/resourceOrder/{order_id}", status_code=204)
def delete_resource_order(order_id: str, ctx: ContextDep) -> Response:
    orders.delete_order(ctx, order_id)
    return no_content()
