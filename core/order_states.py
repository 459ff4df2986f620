"""The TMF652 order and order-item state machines (pure)."""

from __future__ import annotations

from core.errors import InvalidRequest

ORDER_STATES = (
    "acknowledged",
    "rejected",
    "pending",
    "held",
    "inProgress",
    "cancelled",
    "completed",
    "failed",
    "partial",
    "assessingCancellation",
    "pendingCancellation",
)
TERMINAL_STATES = frozenset({"rejected", "cancelled", "completed", "failed", "partial"})

_ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    "acknowledged": frozenset({"rejected", "pending", "held", "inProgress", "assessingCancellation"}),
    "pending": frozenset({"inProgress", "held", "assessingCancellation"}),
    "held": frozenset({"inProgress", "pending", "assessingCancellation"}),
    "inProgress": frozenset({"completed", "failed", "partial", "held", "pending", "assessingCancellation"}),
    "assessingCancellation": frozenset({"pendingCancellation", "inProgress", "held", "pending"}),
    "pendingCancellation": frozenset({"cancelled"}),
}

_ITEM_TRANSITIONS: dict[str, frozenset[str]] = {
    "acknowledged": frozenset({"rejected", "pending", "held", "inProgress", "cancelled"}),
    "pending": frozenset({"inProgress", "held", "cancelled"}),
    "held": frozenset({"inProgress", "pending", "cancelled"}),
    "inProgress": frozenset({"completed", "failed", "held", "pending", "cancelled"}),
}


def can_transition(current: str, new: str) -> bool:
    return new in _ORDER_TRANSITIONS.get(current, frozenset())


def check_transition(current: str, new: str) -> None:
    if not can_transition(current, new):
        raise InvalidRequest(f"order state cannot change from {current} to {new}")


def check_item_transition(current: str, new: str) -> None:
    if new not in _ITEM_TRANSITIONS.get(current, frozenset()):
        raise InvalidRequest(f"order item state cannot change from {current} to {new}")
