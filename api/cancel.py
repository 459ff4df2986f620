"""TMF652 cancelResourceOrder task endpoints."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api.deps import ContextDep, CorrelationDep, Page, absolute_hrefs, json_page
from core.tmf652 import CancelResourceOrderCreate
from rom import cancel

router = APIRouter(prefix="/tmf-api/resourceOrderingManagement/v4", tags=["cancelResourceOrder"])


@router.post("/cancelResourceOrder", status_code=201)
def create_cancel(
    body: CancelResourceOrderCreate,
    ctx: ContextDep,
    correlation: CorrelationDep,
    request: Request,
    response: Response,
) -> dict[str, Any]:
    doc: dict[str, Any] = absolute_hrefs(request, cancel.request_cancellation(ctx, body, correlation))
    response.headers["Location"] = doc["href"]
    return doc


@router.get("/cancelResourceOrder", response_model=list[dict[str, Any]])
def list_cancels(ctx: ContextDep, page: Page, request: Request) -> Response:
    docs, total = cancel.list_cancellations(ctx, page)
    return json_page(absolute_hrefs(request, docs), total)


@router.get("/cancelResourceOrder/{task_id}")
def retrieve_cancel(
    task_id: str, ctx: ContextDep, request: Request, fields: Annotated[str | None, Query()] = None
) -> dict[str, Any]:
    doc: dict[str, Any] = absolute_hrefs(request, cancel.get_cancellation(ctx, task_id, fields))
    return doc
