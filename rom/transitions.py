"""Every order state change goes through here: checked, recorded in the doc, and an event written."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core import outbox
from core.events import ORDER_TOPIC, order_event
from core.order_states import TERMINAL_STATES, check_item_transition, check_transition
from rom import order_store

ITEM_FOLLOWS = {"inProgress": "inProgress", "cancelled": "cancelled", "held": "held", "pending": "pending"}


def item_state(item: dict[str, Any], state: str, **extra: Any) -> dict[str, Any]:
    if item.get("state") != state:
        check_item_transition(item.get("state", "acknowledged"), state)
    return {**item, **extra, "state": state}


def set_state(session: Session, row: order_store.OrderRow, state: str, **fields: Any) -> None:
    """Change the order's state (items follow where that is implied) and write its event."""
    if row.doc["state"] != state:
        check_transition(row.doc["state"], state)
    doc = {**row.doc, **fields, "state": state}
    follow = ITEM_FOLLOWS.get(state)
    if follow:
        doc["orderItem"] = [
            item_state(it, follow) if it.get("state") not in {"completed", "failed", "cancelled"} else it
            for it in doc["orderItem"]
        ]
    row.doc = doc
    row.state = state
    if state in TERMINAL_STATES:
        order_store.forget_claims(session, row.id)
    event = order_event("ResourceOrderStateChangeEvent", doc, row.correlation_id)
    outbox.add_event(session, ORDER_TOPIC, row.id, event)


def touch_doc(session: Session, row: order_store.OrderRow, changes: dict[str, Any]) -> None:
    """Change attributes other than state, with an AttributeValueChange event; None removes one
    (JSON merge-patch)."""
    row.doc = {k: v for k, v in {**row.doc, **changes}.items() if v is not None or k not in changes}
    event = order_event("ResourceOrderAttributeValueChangeEvent", row.doc, row.correlation_id)
    outbox.add_event(session, ORDER_TOPIC, row.id, event)
