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


def next_doc(doc: dict[str, Any], state: str, **fields: Any) -> dict[str, Any]:
    """The order's document in its new state, items following where that is implied (pure)."""
    if doc["state"] != state:
        check_transition(doc["state"], state)
    new = {**doc, **fields, "state": state}
    follow = ITEM_FOLLOWS.get(state)
    if follow:
        new["orderItem"] = [
            item_state(it, follow) if it.get("state") not in {"completed", "failed", "cancelled"} else it
            for it in new["orderItem"]
        ]
    return new


def set_state(session: Session, row: order_store.OrderRow, state: str, **fields: Any) -> None:
    """Change the order's state (items follow where that is implied) and write its event."""
    row.doc = next_doc(row.doc, state, **fields)
    row.state = state
    _changed(session, row.id, row.correlation_id, row.doc)


def set_row_state(
    session: Session, row: order_store.Claimed, state: str, **fields: Any
) -> order_store.Claimed:
    """`set_state` on a plain row: written by one prebuilt UPDATE (no ORM object to flush)."""
    doc = next_doc(row.doc, state, **fields)
    order_store.write_state(session, row.id, state, doc)
    _changed(session, row.id, row.correlation_id, doc)
    return row._replace(state=state, doc=doc)


def _changed(session: Session, order_id: str, correlation_id: str, doc: dict[str, Any]) -> None:
    if doc["state"] in TERMINAL_STATES:
        order_store.forget_claims(session, order_id)
    event = order_event("ResourceOrderStateChangeEvent", doc, correlation_id)
    outbox.add_event(session, ORDER_TOPIC, order_id, event)


def touch_doc(session: Session, row: order_store.OrderRow, changes: dict[str, Any]) -> None:
    """Change attributes other than state, with an AttributeValueChange event; None removes one
    (JSON merge-patch)."""
    row.doc = {k: v for k, v in {**row.doc, **changes}.items() if v is not None or k not in changes}
    event = order_event("ResourceOrderAttributeValueChangeEvent", row.doc, row.correlation_id)
    outbox.add_event(session, ORDER_TOPIC, row.id, event)
