"""Fingerprints for check-sync: what a resource's device subtree hashed to when last seen in sync."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, UtcDateTime


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
    session.merge(FingerprintRow(resource_id=resource_id, intended=intended, actual=actual, recorded=_now()))


def record_many(session: Session, found: Mapping[str, tuple[str, str]]) -> None:
    """`record` for many parts (key -> (intended, actual)): one read of those that exist."""
    now = _now()
    existing = fingerprints(session, list(found))
    for key, (intended, actual) in found.items():
        row = existing.get(key)
        if row is None:
            session.add(FingerprintRow(resource_id=key, intended=intended, actual=actual, recorded=now))
        else:
            row.intended, row.actual, row.recorded = intended, actual, now


def forget(session: Session, resource_ids: list[str]) -> None:
    """Drop the resources' fingerprints, a multi-role resource's `<id>:<role>` ones included."""
    for rid in resource_ids:
        parts = FingerprintRow.resource_id.startswith(f"{rid}:", autoescape=True)
        for row in session.scalars(select(FingerprintRow).where((FingerprintRow.resource_id == rid) | parts)):
            session.delete(row)
