"""Persistence of resource orders and the event outbox (SQLAlchemy)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from inventory.store import utcnow
from rom.db import Base


class OrderRow(Base):
    """One TMF652 resource order; `doc` is its TMF representation."""

    __tablename__ = "resource_orders"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(255), index=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
    correlation_id: Mapped[str] = mapped_column(String(128))
    doc: Mapped[dict[str, Any]] = mapped_column(JSON)
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class OutboxRow(Base):
    """An event written in the same transaction as the change it describes."""

    __tablename__ = "outbox"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


def add_event(session: Session, topic: str, key: str, payload: dict[str, Any]) -> None:
    session.add(OutboxRow(topic=topic, key=key, payload=payload))


def get_order(session: Session, order_id: str) -> OrderRow | None:
    return session.get(OrderRow, order_id)


def claim_order(session: Session, order_id: str, from_state: str, to_state: str) -> bool:
    """Move an order between states only if it is still in `from_state` (a compare-and-set)."""
    result = session.execute(
        update(OrderRow)
        .where(OrderRow.id == order_id, OrderRow.state == from_state)
        .values(state=to_state, updated=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def order_ids_in_state(session: Session, state: str, limit: int = 10) -> list[str]:
    query = select(OrderRow.id).where(OrderRow.state == state).order_by(OrderRow.created).limit(limit)
    return list(session.scalars(query))


def list_events(session: Session, topic: str | None = None) -> list[OutboxRow]:
    query = select(OutboxRow).order_by(OutboxRow.seq)
    if topic:
        query = query.where(OutboxRow.topic == topic)
    return list(session.scalars(query))
