"""Persistence of resource orders, their step logs, device locks and cancellations (SQLAlchemy)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, bindparam, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, Prepared, UtcDateTime, table, utcnow
from core.errors import RomError
from core.liveness import is_dead


class OrderRow(Base):
    """One TMF652 resource order; `doc` is its TMF representation, columns are what queries filter on."""

    __tablename__ = "resource_orders"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
    external_id: Mapped[str | None] = mapped_column(String(255), index=True)
    name: Mapped[str | None] = mapped_column(String(255))
    category: Mapped[str | None] = mapped_column(String(255))
    order_type: Mapped[str | None] = mapped_column(String(255))
    priority: Mapped[int | None] = mapped_column(Integer)
    order_date: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    requested_start: Mapped[datetime | None] = mapped_column(UtcDateTime())
    idempotency_key: Mapped[str | None] = mapped_column(String(512), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    devices: Mapped[list[str]] = mapped_column(JSON, default=list)
    owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    correlation_id: Mapped[str] = mapped_column(String(128))
    # the authenticated principal that submitted it (the audit's "who"); never the body's relatedParty
    submitted_by: Mapped[str] = mapped_column(String(255), default="", server_default="")
    doc: Mapped[dict[str, Any]] = mapped_column(JSON)
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    # what intake's YANG check vouched for (intent.yang.check stamp: model set + payloads); None:
    # not checked (validation off). The executor skips the check before stage when it still holds.
    yang_checked: Mapped[str | None] = mapped_column(String(64))
    updated: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class DeviceLockRow(Base):
    """A device being configured by one order; no second order may touch it meanwhile."""

    __tablename__ = "device_locks"

    device: Mapped[str] = mapped_column(String(128), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64), index=True)


class StepRow(Base):
    """The saga's step log: what an order's execution has done to the network so far."""

    __tablename__ = "order_steps"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(String(64), index=True)
    step: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class CancelRow(Base):
    """A TMF652 cancelResourceOrder task."""

    __tablename__ = "cancel_orders"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(32))
    doc: Mapped[dict[str, Any]] = mapped_column(JSON)
    created: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)


class ClaimRow(Base):
    """What an unfinished order's add will own once it exists (`rom.order_claims`), written once at
    intake so later intakes look up the paths they want instead of re-planning every waiting order.
    `family`: "xml"/"gnmi" (a leaf `path` with its `value`), "identity" (`path` is the add's identity
    key) or "unplanned" (an order from before this table: planned at intake, as before)."""

    __tablename__ = "order_claims"
    __table_args__ = (Index("ix_order_claims_device_path", "device", "path"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(String(64), index=True)
    item_id: Mapped[str] = mapped_column(String(64))
    resource_name: Mapped[str] = mapped_column(String(512))
    part: Mapped[int] = mapped_column(Integer)  # which of the item's intents
    device: Mapped[str] = mapped_column(String(128))
    family: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(Text)
    value: Mapped[str] = mapped_column(Text)


def get_order(session: Session, order_id: str) -> OrderRow | None:
    return session.get(OrderRow, order_id)


def order_by_key(session: Session, key: str) -> OrderRow | None:
    return session.scalar(select(OrderRow).where(OrderRow.idempotency_key == key))


WAITING_STATES = frozenset({"acknowledged", "pending", "held"})


def lock_if_waiting(session: Session, order_id: str) -> bool:
    """Write-lock the order's row if it is waiting and no worker has claimed it (True), before it
    is read: a worker's claim or start cannot then land between that read and the caller's write."""
    result = session.execute(
        update(OrderRow)
        .where(OrderRow.id == order_id, OrderRow.state.in_(WAITING_STATES), OrderRow.owner.is_(None))
        .values(owner=None)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


class Claimable(Protocol):
    """What a claim needs of an order: a runnable order's row (`Runnable`) or the order itself."""

    @property
    def id(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def devices(self) -> list[str]: ...


def claim_order(session: Session, row: Claimable, owner: str, lease_until: datetime) -> bool:
    """Take a runnable order and lock its devices, or take nothing (a compare-and-set on its state).

    Run inside the caller's transaction: a device lock held by another order raises DeviceBusy,
    and the caller rolls the whole claim back. The locks are inserted with ON CONFLICT DO NOTHING,
    so contention is counted here, never logged by the database as a duplicate key. On PostgreSQL
    the row is first locked with SKIP LOCKED (a claimer never waits on another's row); SQLite has
    no row locks, and its UPDATE's WHERE is the whole compare-and-set.
    """
    if session.get_bind().dialect.name == "postgresql":
        waiting = (OrderRow.id == row.id, OrderRow.state == row.state, OrderRow.owner.is_(None))
        locked = select(OrderRow.id).where(*waiting).with_for_update(skip_locked=True)
        if session.scalar(locked) is None:
            return False  # taken, or row-locked by another claimer
    now = utcnow()
    taken = {"id_": row.id, "state_": row.state, "owner_": owner, "until_": lease_until, "now_": now}
    if not session.execute(_CLAIM, taken).rowcount:  # type: ignore[attr-defined]
        return False
    if isinstance(row, OrderRow) and row in session:  # the caller's copy: read the claim back
        session.expire(row)
    if _insert_locks(session, row.id, row.devices) < len(set(row.devices)):
        raise DeviceBusy(row.id)
    return True


# built once, on the table (no ORM bulk-update work per claim): a compare-and-set on the state
_ORDERS = table(OrderRow)
_CLAIM = (
    update(_ORDERS)
    .where(
        _ORDERS.c.id == bindparam("id_"),
        _ORDERS.c.state == bindparam("state_"),
        _ORDERS.c.owner.is_(None),
    )
    .values(
        owner=bindparam("owner_"),
        lease_until=bindparam("until_"),
        attempts=_ORDERS.c.attempts + 1,
        updated=bindparam("now_"),
    )
)


class DeviceBusy(RomError):
    """Another order holds one of this order's devices (the claim must roll back)."""


def _insert_locks(session: Session, order_id: str, devices: list[str]) -> int:
    """How many of the devices this call locked (those free until now)."""
    if not devices:
        return 0
    postgres = session.get_bind().dialect.name == "postgresql"
    rows = [{"device": d, "order_id": order_id} for d in sorted(set(devices))]
    # one statement for all rows (SQLAlchemy's insertmanyvalues), compiled once per dialect
    return len(session.execute(_LOCK_PG if postgres else _LOCK_SQLITE, rows).all())


_LOCK_PG = pg_insert(table(DeviceLockRow)).on_conflict_do_nothing().returning(table(DeviceLockRow).c.device)
_LOCK_SQLITE = (
    sqlite_insert(table(DeviceLockRow)).on_conflict_do_nothing().returning(table(DeviceLockRow).c.device)
)


def release_devices(session: Session, order_id: str) -> None:
    _RELEASE.execute(session, {"order_id_": order_id})


# on the tables: no ORM bulk-delete work (no lock or claim row is ever an ORM object in a session)
_RELEASE = Prepared(
    delete(table(DeviceLockRow)).where(table(DeviceLockRow).c.order_id == bindparam("order_id_"))
)
_FORGET = Prepared(delete(table(ClaimRow)).where(table(ClaimRow).c.order_id == bindparam("order_id_")))


def busy_devices(session: Session) -> set[str]:
    return set(session.scalars(select(DeviceLockRow.device)))


def renew_lease(session: Session, order_ids: list[str], owner: str, lease_until: datetime) -> None:
    session.execute(
        update(OrderRow)
        .where(OrderRow.id.in_(order_ids), OrderRow.owner == owner)
        .values(lease_until=lease_until)
    )


def orphaned(session: Session, now: datetime) -> list[tuple[str, str]]:
    """Claimed orders, with their owner, whose worker stopped renewing its lease or whose process
    has exited (core.liveness: known at once on this host)."""
    query = select(OrderRow.id, OrderRow.owner, OrderRow.lease_until).where(OrderRow.owner.is_not(None))
    return [
        (order_id, owner or "")
        for order_id, owner, until in session.execute(query)
        if (until is not None and until < now) or is_dead(owner or "")
    ]


def take_over(
    session: Session, order_id: str, owner: str, now: datetime, lease_until: datetime, dead: str = ""
) -> bool:
    """Become the owner of an order whose lease expired, or whose owner `dead` has exited
    (a compare-and-set on the lease or the owner)."""
    result = session.execute(
        update(OrderRow)
        .where(OrderRow.id == order_id, (OrderRow.lease_until < now) | (OrderRow.owner == dead))
        .values(owner=owner, lease_until=lease_until)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def add_step(session: Session, order_id: str, step: str, **detail: Any) -> None:
    _ADD_STEP.execute(session, {"order_id": order_id, "step": step, "detail": detail, "at": utcnow()})


@dataclass(frozen=True)
class Step:
    """A step kept in memory until the order's next write: its name, detail and when it happened."""

    name: str
    detail: dict[str, Any] = field(default_factory=dict)
    at: datetime = field(default_factory=utcnow)


def add_steps(session: Session, order_id: str, steps: Iterable[Step]) -> None:
    """Kept steps, in the order given, each with the time it happened."""
    rows = [{"order_id": order_id, "step": s.name, "detail": s.detail, "at": s.at} for s in steps]
    if rows:
        _ADD_STEP.many(session, rows)


# written at once, no ORM object for the unit of work (`seq` numbered by the database)
_ADD_STEP = Prepared(insert(table(StepRow)), ["order_id", "step", "detail", "at"])


def last_step(session: Session, order_id: str) -> str | None:
    query = select(StepRow.step).where(StepRow.order_id == order_id).order_by(StepRow.seq.desc()).limit(1)
    return session.scalar(query)


def steps(session: Session, order_id: str) -> list[StepRow]:
    return list(session.scalars(select(StepRow).where(StepRow.order_id == order_id).order_by(StepRow.seq)))


@dataclass(frozen=True)
class Runnable:
    """A runnable order as the claim sees it: no document (the one that wins reads it)."""

    id: str
    state: str
    devices: list[str]


def runnable_orders(session: Session, now: datetime, limit: int = 10) -> list[Runnable]:
    """Acknowledged or pending orders whose requested start has come, most urgent first: their id,
    state and devices only, as plain rows (no ORM object per waiting order)."""
    rows = session.execute(_RUNNABLE, {"now": now, "limit": limit})
    return [Runnable(order_id, state, devices or []) for order_id, state, devices in rows]


# built once (SQLAlchemy reuses its compiled form)
_RUNNABLE = (
    select(OrderRow.id, OrderRow.state, OrderRow.devices)
    .where(OrderRow.state.in_(("acknowledged", "pending")), OrderRow.owner.is_(None))
    .where((OrderRow.requested_start.is_(None)) | (OrderRow.requested_start <= bindparam("now")))
    .order_by(OrderRow.priority.asc().nulls_last(), OrderRow.order_date)
    .limit(bindparam("limit"))
)


def forget_claims(session: Session, order_id: str) -> None:
    """An order has ended: what its adds made is in the inventory now (or was never made)."""
    _FORGET.execute(session, {"order_id_": order_id})
