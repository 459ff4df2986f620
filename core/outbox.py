"""The event outbox (written in the same transaction as the change it describes), the TMF hubs
that subscribe to it, and the named leases of the jobs that deliver it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import JSON, Integer, String, bindparam, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, Prepared, UtcDateTime, table, utcnow
from core.liveness import is_dead
from core.text import loads


class HubRow(Base):
    """A TMF event subscription: where to deliver events, and which ones."""

    __tablename__ = "hubs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    callback: Mapped[str] = mapped_column(String(2048))
    query: Mapped[str] = mapped_column(String(2048), default="")
    created: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class HubDeliveryRow(Base):
    """One event owed to one hub: retried with backoff, dead after too many failures, replayable."""

    __tablename__ = "hub_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(Integer, index=True)
    hub_id: Mapped[str] = mapped_column(String(64))
    callback: Mapped[str] = mapped_column(String(2048))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    last_error: Mapped[str] = mapped_column(String(1024), default="")


class LeaseRow(Base):
    """A named job only one process may run at a time (e.g. the outbox relay)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(128))
    until: Mapped[datetime] = mapped_column(UtcDateTime())


class OutboxRow(Base):
    """An event written in the same transaction as the change it describes."""

    __tablename__ = "outbox"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    delivered: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True, index=True)


def add_event(session: Session, topic: str, key: str, payload: dict[str, Any]) -> None:
    """Written now, in the caller's transaction (events keep the order they were added in; the
    payload is serialised as it is now): no ORM object for the unit of work to flush at commit,
    which cost an intake a tenth of its CPU."""
    _ADD_EVENT.execute(session, {"topic": topic, "key": key, "payload": payload, "created": utcnow()})


def list_events(session: Session, topic: str | None = None) -> list[OutboxRow]:
    query = select(OutboxRow).order_by(OutboxRow.seq)
    if topic:
        query = query.where(OutboxRow.topic == topic)
    return list(session.scalars(query))


@dataclass
class Event:
    """An undelivered event as the relay reads it: its payload is decoded only if asked for."""

    seq: int
    topic: str
    key: str
    stored: str  # the payload column as text (`_UNDELIVERED` casts it, on either database)

    @cached_property
    def payload(self) -> dict[str, Any]:
        return dict(loads(self.stored))

    def body(self) -> bytes:
        """`json.dumps` of the payload: the text `add_event` stored, unless reading it changes it
        (`core.text.loads`: a lone surrogate comes back as U+FFFD)."""
        if self.stored.isascii() and "\\ud" not in self.stored.lower():
            return self.stored.encode()
        return json.dumps(self.payload).encode()


def undelivered(session: Session, limit: int) -> list[Event]:
    """The oldest events not yet relayed, in the order they were written."""
    return [Event(*row) for row in _UNDELIVERED.execute(session, {"limit": limit, "offset": 0})]


def mark_relayed(session: Session, seqs: list[int], now: datetime) -> None:
    session.execute(_MARK_RELAYED, {"seqs": seqs, "now": now})


def due_deliveries(
    session: Session, now: datetime, limit: int = 100
) -> list[tuple[int, str, dict[str, Any]]]:
    """Pending hub deliveries whose time has come, oldest first: (id, callback URL, event payload)."""
    rows = _DUE.execute(session, {"status": "pending", "now": now, "limit": limit, "offset": 0})
    return [(delivery_id, url, payload) for delivery_id, url, payload in rows]


def take_lease(session: Session, name: str, owner: str, now: datetime, until: datetime) -> bool:
    """Hold the named lease if it is free, expired, held by a dead process (core.liveness) or ours."""
    row = session.get(LeaseRow, name)
    if row is None:
        session.add(LeaseRow(name=name, owner=owner, until=until))
        session.flush()
        return True
    holder = row.owner if is_dead(row.owner) else owner  # a dead process's lease passes at once
    values = {"lease": name, "owners": sorted({owner, holder}), "now": now, "to": owner, "till": until}
    return bool(session.execute(_RENEW_LEASE, values).rowcount)  # type: ignore[attr-defined]


_OUTBOX = table(OutboxRow)
_ADD_EVENT = Prepared(insert(_OUTBOX), ["topic", "key", "payload", "created"])
_UNDELIVERED = Prepared(  # the payload without its JSON type: decoded only when read (`Event`)
    select(_OUTBOX.c.seq, _OUTBOX.c.topic, _OUTBOX.c.key, _OUTBOX.c.payload.cast(String))
    .where(_OUTBOX.c.delivered.is_(None))
    .order_by(_OUTBOX.c.seq)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))  # SQLite's LIMIT comes with one
)
_MARK_RELAYED = (
    update(_OUTBOX)
    .where(_OUTBOX.c.seq.in_(bindparam("seqs", expanding=True)))
    .values(delivered=bindparam("now"))
)
_DELIVERIES = table(HubDeliveryRow)
_DUE = Prepared(
    select(_DELIVERIES.c.id, _DELIVERIES.c.callback, _OUTBOX.c.payload)
    .join(_OUTBOX, _OUTBOX.c.seq == _DELIVERIES.c.seq)
    .where(_DELIVERIES.c.status == bindparam("status"), _DELIVERIES.c.next_attempt <= bindparam("now"))
    .order_by(_DELIVERIES.c.id)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
_LEASES = table(LeaseRow)
# Core, not ORM-enabled: the ORM's UPDATE would also look for the row in the session to update it
# there, on every relay pass
_RENEW_LEASE = (
    update(_LEASES)
    .where(
        _LEASES.c.name == bindparam("lease"),
        _LEASES.c.owner.in_(bindparam("owners", expanding=True)) | (_LEASES.c.until < bindparam("now")),
    )
    .values(owner=bindparam("to"), until=bindparam("till"))
)
