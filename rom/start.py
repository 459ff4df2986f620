"""An order's start: inProgress, with its `started` (or `resumed`) step, on plain rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from core.events import now_iso
from rom import order_store
from rom.transitions import set_row_state


@dataclass(frozen=True)
class Started:
    """What the execution of a started order reads of it."""

    id: str
    owner: str | None
    request: dict[str, Any]
    correlation_id: str
    yang_checked: str | None


def claim_and_start(
    session: Session, row: order_store.Claimable, owner: str, lease_until: datetime
) -> Started | None:
    """Claim a runnable order (`order_store.claim`) and start it, in the caller's transaction (one
    commit); None if another worker took it first. DeviceBusy as `claim`."""
    claimed = order_store.claim(session, row, owner, lease_until)
    return None if claimed is None else start_order(session, claimed)


def claim_next_and_start(
    session: Session, owner: str, lease_until: datetime, now: datetime
) -> Started | None:
    """PostgreSQL: claim the most urgent runnable order with free devices (`order_store.claim_next`,
    claimers never collide) and start it, in the caller's transaction; None if there is none."""
    claimed = order_store.claim_next(session, owner, lease_until, now)
    return None if claimed is None else start_order(session, claimed)


def start_order(session: Session, row: order_store.Claimed) -> Started | None:
    """inProgress, with its `started` (or `resumed`) step, in the caller's transaction. None, with
    the claim given back: it was cancelled or held between claim and start."""
    if row.state not in ("acknowledged", "pending"):
        order_store.unclaim(session, row.id)
        return None
    row = set_row_state(session, row, "inProgress", startDate=row.doc.get("startDate") or now_iso())
    # after recovery: one run. A first claim (attempts 1) cannot follow a `requeued` step: no read
    again = row.attempts > 1 and order_store.last_step(session, row.id) == "requeued"
    order_store.add_step(
        session, row.id, "resumed" if again else "started", attempt=row.attempts, owner=row.owner
    )
    return Started(row.id, row.owner, row.request, row.correlation_id, row.yang_checked)
