"""TMF639 resource endpoints (read side)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.deps import ContextDep
from inventory.store import list_resources
from inventory.tmf639 import resource_doc
from rom.errors import NotFound

router = APIRouter(prefix="/tmf-api/resourceInventoryManagement/v4", tags=["resource"])


@router.get("/resource")
def list_resource(
    ctx: ContextDep,
    response: Response,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    with ctx.sessions() as session:
        rows = list_resources(session)
    response.headers["X-Total-Count"] = str(len(rows))
    page = rows[offset : offset + limit]
    response.headers["X-Result-Count"] = str(len(page))
    return [resource_doc(r) for r in page]


@router.get("/resource/{resource_id}")
def retrieve_resource(resource_id: str, ctx: ContextDep) -> dict[str, Any]:
    with ctx.sessions() as session:
        rows = list_resources(session, resource_id=resource_id)
    if not rows:
        raise NotFound(f"resource {resource_id} not found")
    return resource_doc(rows[0])
