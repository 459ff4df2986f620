"""Fingerprints for check-sync: what a resource's device subtree hashed to when last seen in sync."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import String, bindparam, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, Prepared, UtcDateTime


def _now() -> datetime:
    return datetime.now(UTC)


class FingerprintRow(Base):
    """Keyed by resource part (`drift.reconcile.Part.key`: the resource id; `<id>:<role>` for
    a multi-role resource's later roles). `intended`: hash of the rendered intended state;
    `actual`: hash of the device's reply to the part's read-back, both recorded when a full
    compare (or remediate/adopt, or the read after an order) found the part in sync.
    Check-sync compares only these."""

    __tablename__ = "drift_fingerprints"

    resource_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    intended: Mapped[str] = mapped_column(String(64))
    actual: Mapped[str] = mapped_column(String(64))
    recorded: Mapped[datetime] = mapped_column(UtcDateTime(), default=_now, onupdate=_now)


def fingerprints(session: Session, resource_ids: list[str]) -> dict[str, FingerprintRow]:
    if not resource_ids:
        return {}
    rows = session.scalars(select(FingerprintRow).where(FingerprintRow.resource_id.in_(resource_ids)))
    return {r.resource_id: r for r in rows}


def record(session: Session, resource_id: str, intended: str, actual: str) -> None:
    record_many(session, {resource_id: (intended, actual)})


def record_many(session: Session, found: Mapping[str, tuple[str, str]]) -> None:
    """Each part's fingerprints (key -> (intended, actual)), added or replacing what was there:
    one statement, written now (a `FingerprintRow` read before in this session is not refreshed)."""
    if not found:
        return
    now = _now()
    rows = [{"key": k, "intended": i, "actual": a, "recorded": now} for k, (i, a) in found.items()]
    _UPSERT.many(session, rows)


# SQLite's and PostgreSQL's syntax alike; `recorded` bound as the column's type (stored as UTC)
_UPSERT = Prepared(
    text(
        "INSERT INTO drift_fingerprints (resource_id, intended, actual, recorded)"
        " VALUES (:key, :intended, :actual, :recorded) ON CONFLICT (resource_id) DO UPDATE"
        " SET intended = excluded.intended, actual = excluded.actual, recorded = excluded.recorded"
    ).bindparams(bindparam("recorded", type_=UtcDateTime()))
)


def forget(session: Session, resource_ids: list[str]) -> None:
    """Drop the resources' fingerprints, a multi-role resource's `<id>:<role>` ones included."""
    for rid in resource_ids:
        parts = FingerprintRow.resource_id.startswith(f"{rid}:", autoescape=True)
        for row in session.scalars(select(FingerprintRow).where((FingerprintRow.resource_id == rid) | parts)):
            session.delete(row)
