"""TMF652 cancelResourceOrder task endpoints."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.deps import ContextDep, CorrelationDep, Page, paged
from core.tmf652 import CancelResourceOrderCreate
from rom import cancel

router = APIRouter(prefix="/tmf-api/resourceOrderingManagement/v4", tags=["cancelResourceOrder"])


@router.post("/cancelResourceOrder", status_code=201)
def create_cancel(
    body: CancelResourceOrderCreate, ctx: ContextDep, correlation: CorrelationDep, response: Response
) -> dict[str, Any]:
    doc = cancel.request_cancellation(ctx, body, correlation)
    response.headers["Location"] = doc["href"]
    return doc


@router.get("/cancelResourceOrder")
def list_cancels(ctx: ContextDep, page: Page, response: Response) -> list[dict[str, Any]]:
    return paged(response, *cancel.list_cancellations(ctx, page))


@router.get("/cancelResourceOrder/{task_id}")
def retrieve_cancel(
    task_id: str, ctx: ContextDep, fields: Annotated[str | None, Query()] = None
) -> dict[str, Any]:
    return cancel.get_cancellation(ctx, task_id, fields)
