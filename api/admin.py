"""Operator endpoints outside TMF: hub dead letters, the audit trail of device changes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from api.deps import ContextDep, Page, json_page
from core.errors import NotFound
from events import relay
from inventory import audit

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get("/deadLetters")
def list_dead_letters(ctx: ContextDep) -> list[dict[str, Any]]:
    """Hub deliveries that failed every retry."""
    return relay.dead_letters(ctx)


@router.post("/deadLetters/{delivery_id}/replay")
def replay_dead_letter(
    delivery_id: Annotated[int, Path(ge=1, le=2**63 - 1)], ctx: ContextDep
) -> dict[str, Any]:
    """Queue a dead letter again, with a fresh retry budget."""
    doc = relay.replay(ctx, delivery_id)
    if doc is None:
        raise NotFound(f"dead letter {delivery_id} not found")
    return doc


@router.get("/audit", response_model=list[dict[str, Any]])
def list_audit(ctx: ContextDep, page: Page) -> Response:
    """Device changes, newest first. Filters: `device`, `orderId`, `correlationId`, `principal`,
    `action`, `outcome` (comma-separated: any of), `since`/`until` (ISO 8601, until exclusive)."""
    return json_page(*audit.list_entries(ctx, page))


@router.get("/audit/{entry_id}")
def retrieve_audit(entry_id: Annotated[int, Path(ge=1, le=2**63 - 1)], ctx: ContextDep) -> dict[str, Any]:
    """One device change, with its native diff."""
    return audit.get_entry(ctx, entry_id)
