"""The audit trail: one entry per device per transaction outcome (who, which order, what diff, when).

`recorder` / `observer` build the `on_outcome` observer that `drivers.transaction.run_transaction`
calls; entries are derived from its outcome by the pure `entries`. A failed audit write is logged
loudly and counted (`rom_audit_write_failures_total`); it never changes the device outcome.
"""

from __future__ import annotations

import getpass
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from prometheus_client import Counter
from sqlalchemy import JSON, Integer, String, Text, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, Prepared, UtcDateTime, table, utcnow
from core.errors import InvalidRequest, NotFound
from core.query import Column, PageRequest, fetch_page, parse_filters
from drivers.transaction import HostOutcome, TransactionOutcome
from inventory.context import Context

log = logging.getLogger(__name__)
AUDIT_PATH = "/admin/audit"
AUDIT_WRITE_FAILURES = Counter(
    "rom_audit_write_failures_total", "Device changes whose audit entries could not be written"
)
Observer = Callable[[TransactionOutcome], None]


class AuditRow(Base):
    """One device's part in one transaction, as it ended."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    time: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    device: Mapped[str] = mapped_column(String(128), index=True)
    action: Mapped[str] = mapped_column(String(32))  # the last step: confirm, rollback, stage, ...
    outcome: Mapped[str] = mapped_column(String(16))  # confirmed, rolledBack, partial, failed
    order_id: Mapped[str | None] = mapped_column(String(64), index=True)
    correlation_id: Mapped[str] = mapped_column(String(128), index=True)
    principal: Mapped[str] = mapped_column(String(255), index=True)
    protocols: Mapped[str] = mapped_column(String(64))
    diff: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)
    # what the order's post-checks found (reachability: pair, answered/sent, loss, RTT), or None
    checks: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)


COLUMNS = {
    "id": Column(AuditRow.id, int),
    "time": Column(AuditRow.time, datetime),
    "device": Column(AuditRow.device),
    "action": Column(AuditRow.action),
    "outcome": Column(AuditRow.outcome),
    "orderId": Column(AuditRow.order_id),
    "correlationId": Column(AuditRow.correlation_id),
    "principal": Column(AuditRow.principal),
}
RANGE = {"since": "time.gte", "until": "time.lt"}


# --- pure -------------------------------------------------------------------------------------


def device_result(host: HostOutcome, tx: TransactionOutcome) -> tuple[str, str, str | None]:
    """(action, outcome, error) of one device in a transaction."""
    if host.changed:
        return "confirm", "confirmed", None
    reason = host.error or "; ".join(tx.errors) or f"transaction failed in phase {tx.phase_failed}"
    if host.confirmed:
        return "confirm", "partial", reason
    if host.rolled_back and host.diffs:
        return "rollback", "rolledBack", reason
    return tx.phase_failed or "stage", "failed", reason


def joined_diff(diffs: dict[str, str]) -> str:
    """One protocol: its diff; several: each under a `# <protocol>` line."""
    if len(diffs) == 1:
        return next(iter(diffs.values()))
    return "".join(f"# {protocol}\n{text}" for protocol, text in diffs.items())


def entries(
    tx: TransactionOutcome,
    order_id: str | None,
    correlation_id: str,
    principal: str,
    when: datetime,
    checks: list[dict[str, Any]] | None = None,
) -> list[AuditRow]:
    """One entry per device of `tx`; `checks`: the order's post-check results, on every entry."""
    rows = []
    for device, host in sorted(tx.hosts.items()):
        action, outcome, error = device_result(host, tx)
        rows.append(
            AuditRow(
                time=when,
                device=device,
                action=action,
                outcome=outcome,
                order_id=order_id,
                correlation_id=correlation_id,
                principal=principal,
                protocols=",".join(host.protocols),
                diff=joined_diff(dict(host.diffs)),
                error=error,
                checks=checks or None,
            )
        )
    return rows


def to_doc(row: AuditRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "href": f"{AUDIT_PATH}/{row.id}",
        "time": row.time.isoformat().replace("+00:00", "Z"),
        "device": row.device,
        "action": row.action,
        "outcome": row.outcome,
        "orderId": row.order_id,
        "correlationId": row.correlation_id,
        "principal": row.principal,
        "protocols": row.protocols.split(",") if row.protocols else [],
        "diff": row.diff,
        "error": row.error,
        "checks": row.checks or [],
    }


def query_params(params: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """API query -> attribute filters: `since`/`until` become a time range (until exclusive).

    Every filter is checked here, so a bad one is refused before any query runs."""
    translated = tuple((RANGE.get(key, key), value) for key, value in params)
    bounds = {f.op: f.values[0] for f in parse_filters(translated, COLUMNS) if f.name == "time"}
    if "gte" in bounds and "lt" in bounds and bounds["gte"] >= bounds["lt"]:
        raise InvalidRequest("since must be before until")
    return translated


def submitter(doc: dict[str, Any]) -> str:
    """The principal ROM recorded on an order written before orders kept it in a column: intake
    appends its own submitter party after the client's relatedParty (kept as given, never trusted),
    so it is the last one."""
    parties = doc.get("relatedParty") or []
    ours = [p for p in parties if p.get("role") == "submitter" and p.get("@referredType") == "APIClient"]
    return str(ours[-1].get("name")) if ours else "unknown"


def local_principal() -> str:
    """Who runs a CLI command that changes devices directly: `cli:<OS user>`."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in the environment or passwd
        return "cli:unknown"


# --- I/O --------------------------------------------------------------------------------------


def list_entries(ctx: Context, page: PageRequest) -> tuple[list[dict[str, Any]], int]:
    """One page, newest first unless `sort` says otherwise, and the total count."""
    page = PageRequest(query_params(page.params), page.offset, page.limit, page.fields, page.sort)
    with ctx.sessions() as session:
        return fetch_page(session, AuditRow, COLUMNS, "-time,-id", page, to_doc)


def get_entry(ctx: Context, entry_id: int) -> dict[str, Any]:
    with ctx.sessions() as session:
        row = session.get(AuditRow, entry_id)
        if row is None:
            raise NotFound(f"audit entry {entry_id} not found")
        return to_doc(row)


def add(session: Session, rows: Iterable[AuditRow]) -> None:
    """Write entries (from `entries`) now, in the caller's transaction: one statement, no ORM
    object for the unit of work (`id` numbered by the database)."""
    found = [{c: getattr(row, c) for c in _ENTRY_COLUMNS} for row in rows]
    if found:
        _ADD.many(session, found)


_ENTRY_COLUMNS = [c.name for c in table(AuditRow).columns if c.name != "id"]
_ADD = Prepared(insert(table(AuditRow)), _ENTRY_COLUMNS)


def _write(ctx: Context, tx: TransactionOutcome, order_id: str | None, correlation_id: str, who: str) -> None:
    with ctx.transaction() as session:
        add(session, entries(tx, order_id, correlation_id, who, utcnow()))


def _failed(tx: TransactionOutcome, what: str) -> None:
    AUDIT_WRITE_FAILURES.inc()
    log.exception(
        "AUDIT TRAIL WRITE FAILED for %s: %d device change(s) not recorded (%s)",
        what,
        len(tx.hosts),
        ", ".join(sorted(tx.hosts)),
    )


def recorder(ctx: Context, correlation_id: str, principal: str, order_id: str | None = None) -> Observer:
    """The `on_outcome` observer for a change outside an order (CLI, drift remediation)."""
    return observer(ctx, lambda: (correlation_id, principal), order_id, f"correlationId {correlation_id}")


def observer(ctx: Context, who: Callable[[], tuple[str, str]], order_id: str | None, what: str) -> Observer:
    """The `on_outcome` observer: `who()` gives (correlationId, principal) when the outcome comes;
    `what` names the change in the failure log."""

    def record(tx: TransactionOutcome) -> None:
        try:
            correlation_id, principal = who()
            _write(ctx, tx, order_id, correlation_id, principal)
        except Exception:  # noqa: BLE001 - logged loudly and counted; the change stands
            _failed(tx, what)

    return record
