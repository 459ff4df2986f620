"""Persistence of resource orders, their step logs, device locks and cancellations (SQLAlchemy)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy import (
    JSON,
    Boolean,
    Index,
    Integer,
    String,
    Text,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, Prepared, UtcDateTime, table, utcnow
from core.errors import RomError
from core.liveness import is_dead

LAST_PRIORITY = 5  # TMF652 priorities are 0 (most urgent) to 4: an order without one comes after
# runnable: waiting to start, no owner. Written out, not bound: a database uses a partial index
# only for a query whose WHERE implies the index's, which bound values do not
RUNNABLE = "state IN ('acknowledged', 'pending') AND owner IS NULL"
RUNNABLE_NOW = f"{RUNNABLE} AND requested_start IS NULL"  # in one partial index, by urgency
RUNNABLE_SCHEDULED = f"{RUNNABLE} AND requested_start IS NOT NULL"  # in another, by their start


class OrderRow(Base):
    """One TMF652 resource order; `doc` is its TMF representation, columns are what queries filter on."""

    __tablename__ = "resource_orders"
    __table_args__ = (  # the runnable orders (`runnable_orders`): read in order, parked ones apart
        Index(  # those to start now, most urgent first
            "ix_resource_orders_runnable",
            func.coalesce(literal_column("priority"), LAST_PRIORITY),
            "order_date",
            sqlite_where=literal_column(RUNNABLE_NOW),
            postgresql_where=literal_column(RUNNABLE_NOW),
        ),
        Index(  # those with a requested start, by that start: a look reads only those now due
            "ix_resource_orders_scheduled",
            "requested_start",
            sqlite_where=literal_column(RUNNABLE_SCHEDULED),
            postgresql_where=literal_column(RUNNABLE_SCHEDULED),
        ),
    )

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
    __table_args__ = (
        Index("ix_order_claims_device_path", "device", "path"),
        # SQLite only (migration 0009): intake's look-up of the waiting orders' claims at the value it
        # wants passes over the other rows in the index (every order waiting on a device holds its
        # interface's name), so intake's cost does not grow with them. PostgreSQL reads the rows
        # anyway, and a long value would overflow a btree entry.
        Index("ix_order_claims_device_path_value", "device", "path", "value").ddl_if(dialect="sqlite"),
    )

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


class Claimed(NamedTuple):
    """A claimed order as its start reads it (a plain row: no ORM object, no document bound to a
    session)."""

    id: str
    state: str
    owner: str | None
    attempts: int
    correlation_id: str
    yang_checked: str | None
    doc: dict[str, Any]
    request: dict[str, Any]


def claim(session: Session, row: Claimable, owner: str, lease_until: datetime) -> Claimed | None:
    """Take a runnable order and lock its devices, or take nothing (a compare-and-set on its state);
    the order as claimed, read by the same statement.

    Run inside the caller's transaction: a device lock held by another order raises DeviceBusy,
    and the caller rolls the whole claim back. The locks are inserted with ON CONFLICT DO NOTHING,
    so contention is counted here, never logged by the database as a duplicate key. On PostgreSQL
    the UPDATE takes the row through a `SELECT … FOR UPDATE SKIP LOCKED` (a claimer never waits on
    another's row); SQLite has no row locks, and its UPDATE's WHERE is the whole compare-and-set.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    taken = {"id_": row.id, "state_": row.state, "owner_": owner, "until_": lease_until, "now_": utcnow()}
    found = (_CLAIM_PG if postgres else _CLAIM).execute(session, taken)
    if not found:
        return None
    if _insert_locks(session, row.id, row.devices) < len(set(row.devices)):
        raise DeviceBusy(row.id)
    return _claimed(found[0])


def claim_order(session: Session, row: Claimable, owner: str, lease_until: datetime) -> bool:
    """`claim`, for a caller that holds the order (its copy reads the claim back)."""
    if claim(session, row, owner, lease_until) is None:
        return False
    if isinstance(row, OrderRow) and row in session:
        session.expire(row)
    return True


def claimed_order(session: Session, order_id: str) -> Claimed | None:
    """The order as `claim` reads it, claimed earlier (in another transaction)."""
    found = _CLAIMED.execute(session, {"id_": order_id})
    return _claimed(found[0]) if found else None


def _claimed(found: tuple[Any, ...]) -> Claimed:
    order_id, state, owner, attempts, cid, checked, doc, request = found
    return Claimed(order_id, state, owner, attempts, cid, checked, doc, request)


def write_state(session: Session, order_id: str, state: str, doc: dict[str, Any]) -> None:
    """The order's new state and document, on its row (no ORM object)."""
    _WRITE_STATE.execute(session, {"id_": order_id, "state_": state, "doc_": doc, "now_": utcnow()})


def unclaim(session: Session, order_id: str) -> None:
    """Give a claimed order back (it was cancelled or held before it started): no owner, no locks."""
    _UNCLAIM.execute(session, {"id_": order_id, "now_": utcnow()})
    release_devices(session, order_id)


# built once, on the table, and run through Prepared (no ORM or Core execution set-up per claim)
_ORDERS = table(OrderRow)
_READ = (
    _ORDERS.c.id,
    _ORDERS.c.state,
    _ORDERS.c.owner,
    _ORDERS.c.attempts,
    _ORDERS.c.correlation_id,
    _ORDERS.c.yang_checked,
    _ORDERS.c.doc,
    _ORDERS.c.request,
)
_WAITING = (
    _ORDERS.c.id == bindparam("id_"),
    _ORDERS.c.state == bindparam("state_"),
    _ORDERS.c.owner.is_(None),
)
_TAKE = {
    "owner": bindparam("owner_"),
    "lease_until": bindparam("until_"),
    "attempts": _ORDERS.c.attempts + literal_column("1", Integer),
    "updated": bindparam("now_"),
}
_CLAIM = Prepared(update(_ORDERS).where(*_WAITING).values(_TAKE).returning(*_READ))
# one statement: the row is locked by its sub-select, or skipped if another claimer holds it
_LOCKED = select(_ORDERS.c.id).where(*_WAITING).with_for_update(skip_locked=True).scalar_subquery()
_CLAIM_PG = Prepared(update(_ORDERS).where(_ORDERS.c.id == _LOCKED).values(_TAKE).returning(*_READ))
_CLAIMED = Prepared(select(*_READ).where(_ORDERS.c.id == bindparam("id_")))
_WRITE_STATE = Prepared(
    update(_ORDERS)
    .where(_ORDERS.c.id == bindparam("id_"))
    .values(state=bindparam("state_"), doc=bindparam("doc_"), updated=bindparam("now_"))
)
_UNCLAIM = Prepared(
    update(_ORDERS)
    .where(_ORDERS.c.id == bindparam("id_"))
    .values(owner=None, lease_until=None, updated=bindparam("now_"))
)


class DeviceBusy(RomError):
    """Another order holds one of this order's devices (the claim must roll back)."""


def _insert_locks(session: Session, order_id: str, devices: list[str]) -> int:
    """How many of the devices this call locked (those free until now)."""
    lock = _LOCK_PG if session.get_bind().dialect.name == "postgresql" else _LOCK_SQLITE
    return sum(len(lock.execute(session, {"device": d, "order_id": order_id})) for d in sorted(set(devices)))


_LOCKS = table(DeviceLockRow)
_LOCK_PG = Prepared(
    pg_insert(_LOCKS).on_conflict_do_nothing().returning(_LOCKS.c.device), ["device", "order_id"]
)
_LOCK_SQLITE = Prepared(
    sqlite_insert(_LOCKS).on_conflict_do_nothing().returning(_LOCKS.c.device), ["device", "order_id"]
)


def release_devices(session: Session, order_id: str) -> None:
    _RELEASE.execute(session, {"order_id_": order_id})


# on the tables: no ORM bulk-delete work (no lock or claim row is ever an ORM object in a session)
_RELEASE = Prepared(
    delete(table(DeviceLockRow)).where(table(DeviceLockRow).c.order_id == bindparam("order_id_"))
)
_FORGET = Prepared(delete(table(ClaimRow)).where(table(ClaimRow).c.order_id == bindparam("order_id_")))


def busy_devices(session: Session) -> set[str]:
    return {device for (device,) in _BUSY.execute(session, {})}


_BUSY = Prepared(select(table(DeviceLockRow).c.device))


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
    """Written now, in the caller's transaction, after its pending ORM changes (no ORM object)."""
    _ADD_STEP.execute(session, {"order_id": order_id, "step": step, "detail": detail, "at": utcnow()})


_ADD_STEP = Prepared(insert(table(StepRow)), ["order_id", "step", "detail", "at"])  # `seq` by the database


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
    statement = _RUNNABLE_SQLITE if session.get_bind().dialect.name == "sqlite" else _RUNNABLE
    rows = statement.execute(session, {"now": now, "limit": limit})
    return [Runnable(order_id, state, devices or []) for order_id, state, devices in rows]


def _look(indexed: bool, free: str = "") -> str:
    """The runnable orders' (id, state, devices, rank, order_date), most urgent first, at most
    :limit: the first of those to start now (one index, in its order) merged with the first of
    those whose requested start has come (the other index: the parked ones are never read).
    `indexed`: SQLite told to use the indexes (without statistics it takes the one on `state` and
    sorts every waiting order). `free`: a further condition on each order (e.g. its devices)."""
    rank = f"coalesce(priority, {LAST_PRIORITY})"
    now_ix, due_ix = (
        (" INDEXED BY ix_resource_orders_runnable", " INDEXED BY ix_resource_orders_scheduled")
        if indexed
        else ("", "")
    )
    columns = f"SELECT id, state, devices, {rank} AS rank, order_date FROM resource_orders"
    return (
        f"SELECT * FROM ({columns}{now_ix} WHERE {RUNNABLE_NOW}{free}"
        f" ORDER BY {rank}, order_date LIMIT :limit) AS now_"
        f" UNION ALL SELECT * FROM ({columns}{due_ix} WHERE {RUNNABLE_SCHEDULED}"
        f" AND requested_start <= :now{free} ORDER BY {rank}, order_date LIMIT :limit) AS due"
    )


def _runnable(indexed: bool) -> Prepared:
    look = f"SELECT id, state, devices FROM ({_look(indexed)}) AS look ORDER BY rank, order_date LIMIT :limit"
    typed = text(look).bindparams(bindparam("now", type_=UtcDateTime()))
    return Prepared(typed.columns(_ORDERS.c.id, _ORDERS.c.state, _ORDERS.c.devices))  # devices: JSON


_RUNNABLE, _RUNNABLE_SQLITE = _runnable(indexed=False), _runnable(indexed=True)


def claim_next(session: Session, owner: str, lease_until: datetime, now: datetime) -> Claimed | None:
    """PostgreSQL: take the most urgent runnable order none of whose devices is locked, and lock
    them, in one statement's queue pick (`SELECT … FOR UPDATE SKIP LOCKED`: claimers skip each
    other's rows, never collide); None if there is none. DeviceBusy as `claim` (a device locked
    by a claim not yet committed when the pick read the locks)."""
    found = _CLAIM_NEXT.execute(
        session, {"owner_": owner, "until_": lease_until, "now_": utcnow(), "now": now, "limit": 20}
    )
    if not found:
        return None
    order_id, devices = found[0][0], found[0][-1] or []
    if _insert_locks(session, order_id, devices) < len(set(devices)):
        raise DeviceBusy(order_id)
    return _claimed(found[0][:-1])


# none of the order's devices is locked (by a committed claim)
_DEVICES_FREE = (
    " AND NOT EXISTS (SELECT 1 FROM device_locks"
    " WHERE device_locks.device IN (SELECT json_array_elements_text(resource_orders.devices)))"
)
_CLAIM_NEXT = Prepared(
    text(
        "UPDATE resource_orders SET owner = :owner_, lease_until = :until_, attempts = attempts + 1,"
        " updated = :now_ WHERE id = (SELECT r.id FROM resource_orders AS r"
        f" JOIN ({_look(False, _DEVICES_FREE)}) AS look ON look.id = r.id"
        f" WHERE r.state IN ('acknowledged', 'pending') AND r.owner IS NULL"
        " ORDER BY look.rank, look.order_date LIMIT 1 FOR UPDATE OF r SKIP LOCKED)"
        " RETURNING id, state, owner, attempts, correlation_id, yang_checked, doc, request, devices"
    )
    .bindparams(*(bindparam(k, type_=UtcDateTime()) for k in ("until_", "now_", "now")))
    .columns(*_READ, _ORDERS.c.devices)
)


def forget_claims(session: Session, order_id: str) -> None:
    """An order has ended: what its adds made is in the inventory now (or was never made)."""
    _FORGET.execute(session, {"order_id_": order_id})
