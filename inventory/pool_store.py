"""Tables of resource pools and reservations, and the one write primitive they rely on.

Nothing here reads then writes to decide who owns a value: a value is taken by inserting its
`ClaimRow` (primary key pool+scope+value) with `ON CONFLICT DO NOTHING`, and capacity is taken by
one conditional `UPDATE ... WHERE used + n <= capacity`. Both are atomic on SQLite (one writer)
and PostgreSQL (a concurrent insert of the same key waits for the other transaction, then does
nothing; the conditional update re-checks its WHERE on the locked row).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, String, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, Prepared, UtcDateTime, table


def utcnow() -> datetime:
    return datetime.now(UTC)


class PoolRow(Base):
    """A pool definition overriding the built-in default of the same name."""

    __tablename__ = "pools"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)


class ClaimRow(Base):
    """One value of a discrete pool taken in one scope (e.g. VLAN 100 on pe1/Ethernet2).

    `tag` says who may share it (e.g. `vrfName=A` for a route distinguisher), `refs` how many
    reservations share it; the row goes when the last one is released.
    """

    __tablename__ = "pool_claims"
    __table_args__ = (CheckConstraint("refs >= 0", name="ck_claim_refs"),)

    pool: Mapped[str] = mapped_column(String(64), primary_key=True)
    scope: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(String(128), primary_key=True)
    tag: Mapped[str] = mapped_column(String(255))
    refs: Mapped[int] = mapped_column(default=1)


class CounterRow(Base):
    """Used capacity of a capacity pool in one scope (e.g. Mbit/s on pe1/Ethernet1)."""

    __tablename__ = "pool_counters"
    __table_args__ = (CheckConstraint("used >= 0 AND used <= capacity", name="ck_counter_used"),)

    pool: Mapped[str] = mapped_column(String(64), primary_key=True)
    scope: Mapped[str] = mapped_column(String(255), primary_key=True)
    capacity: Mapped[int]
    used: Mapped[int] = mapped_column(default=0)


class ReservationRow(Base):
    """What one holder (an order item, later its resource) reserved: to keep or release it."""

    __tablename__ = "reservations"
    __table_args__ = (
        Index("ix_reservations_order", "order_id", "order_item_id"),
        Index("ix_reservations_resource", "resource_id"),
        Index("ix_reservations_value", "pool", "scope", "value"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    pool: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(String(128))  # the value, or "" for capacity
    amount: Mapped[int] = mapped_column(default=0)  # capacity taken (0 for a value)
    characteristic: Mapped[str] = mapped_column(String(128))
    order_id: Mapped[str] = mapped_column(String(64), default="")
    order_item_id: Mapped[str] = mapped_column(String(64), default="")
    resource_id: Mapped[str] = mapped_column(String(64), default="")
    created: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


def insert_ignore(session: Session, model: type[Base], values: dict[str, Any]) -> bool:
    """INSERT the row unless its key exists (`ON CONFLICT DO NOTHING`); True if it was inserted."""
    statement = _insert_ignore(session.get_bind().dialect.name, model)
    return session.execute(statement, values).first() is not None  # rowcount is -1 with psycopg 3


def insert_ignore_many(
    session: Session, model: type[Base], rows: Sequence[dict[str, Any]]
) -> set[tuple[Any, ...]]:
    """INSERT the rows whose key does not exist yet, in one statement; the keys it inserted."""
    columns = tuple(sorted(rows[0]))
    params = {f"{c}_{n}": row[c] for n, row in enumerate(rows) for c in columns}
    return {tuple(row) for row in _insert_ignore_rows(model, columns, len(rows)).execute(session, params)}


@lru_cache(maxsize=64)
def _insert_ignore_rows(model: type[Base], columns: tuple[str, ...], count: int) -> Prepared:
    """`count` rows of `columns` as parameters `<column>_<n>`, as text: SQLAlchemy compiles a
    multi-row `insert().values()` again on every call (it has no cache key). The syntax is both
    SQLite's and PostgreSQL's."""
    name = table(model).name
    keys = ", ".join(f'"{c.name}"' for c in table(model).primary_key)
    rows = ", ".join("(" + ", ".join(f":{c}_{n}" for c in columns) + ")" for n in range(count))
    names = ", ".join(f'"{c}"' for c in columns)
    return Prepared(
        text(f'INSERT INTO "{name}" ({names}) VALUES {rows} ON CONFLICT DO NOTHING RETURNING {keys}')
    )


@cache
def _insert_ignore(dialect: str, model: type[Base]) -> Any:
    """One statement per table and dialect (SQLAlchemy then reuses its compiled form)."""
    module = postgresql if dialect == "postgresql" else sqlite
    key = next(iter(sa_inspect(model).primary_key))
    return module.insert(table(model)).on_conflict_do_nothing().returning(key)
