"""TMF event subscription (hub) endpoints, shared by the ordering and inventory APIs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from api.deps import ContextDep, no_content
from core.tmf652 import EventSubscriptionInput
from events import hub_registry


def hub_router(prefix: str) -> APIRouter:
    """Hub endpoints under one TMF API's base path; every hub sees every ROM event its query selects."""
    router = APIRouter(prefix=prefix, tags=["hub"])

    @router.post("/hub", status_code=201)
    def register_hub(body: EventSubscriptionInput, ctx: ContextDep, response: Response) -> dict[str, Any]:
        doc = hub_registry.register(ctx, body)
        response.headers["Location"] = f"{prefix}/hub/{doc['id']}"
        return doc

    @router.get("/hub/{hub_id}")
    def retrieve_hub(hub_id: str, ctx: ContextDep) -> dict[str, Any]:
        return hub_registry.get(ctx, hub_id)

    @router.delete("/hub/{hub_id}", status_code=204)
    def unregister_hub(hub_id: str, ctx: ContextDep) -> Response:
        hub_registry.remove(ctx, hub_id)
        return no_content()

    return router
