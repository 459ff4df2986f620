"""An order's audit observer: its entries carry the order's correlationId and submitter."""

from __future__ import annotations

from core.errors import NotFound
from inventory import audit
from inventory.context import Context
from rom import order_store


def for_order(ctx: Context, order_id: str) -> audit.Observer:
    """The `on_outcome` observer for an order: correlationId and principal come from its row."""

    def who() -> tuple[str, str]:
        with ctx.sessions() as session:
            row = order_store.get_order(session, order_id)
            if row is None:
                raise NotFound(f"resourceOrder {order_id} not found")
            return row.correlation_id, row.submitted_by or audit.submitter(row.doc)

    return audit.observer(ctx, who, order_id, f"order {order_id}")
