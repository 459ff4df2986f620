"""Operator endpoints outside TMF: hub dead letters."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from api.deps import ContextDep
from rom import relay
from rom.errors import NotFound

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
