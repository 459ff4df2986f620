"""What the console shows, read from the services' own stores (orders, steps, audit, outbox,
inventory). Read-only: nothing here changes state or speaks to a device."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func, null, select

from core import outbox
from core.errors import NotFound
from core.events import ORDER_TOPIC, RESOURCE_TOPIC
from drift.monitor import DRIFT_TOPIC
from inventory import audit
from inventory.context import Context
from inventory.records import Device, Resource, list_devices, list_resources
from rom import order_store

SLICE_SPECS = ("slice-ran", "slice-core", "transport-qos")
ATTENTION = frozenset({"alarm", "unknown"})  # resource statuses that colour a device


@dataclass(frozen=True)
class OrderLine:
    id: str
    state: str
    order_date: datetime
    items: int
    submitter: str
    correlation_id: str
    name: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "orderDate": iso(self.order_date),
            "items": self.items,
            "submitter": self.submitter,
            "correlationId": self.correlation_id,
        }


@dataclass
class OrderView:
    doc: dict[str, Any]
    correlation_id: str
    steps: list[order_store.StepRow]
    audits: list[dict[str, Any]]
    events: list[outbox.OutboxRow]
    resources: list[Resource]


@dataclass
class DeviceView:
    device: Device
    resources: list[Resource]
    audits: list[dict[str, Any]]
    drift_events: list[outbox.OutboxRow] = field(default_factory=list)


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


Order = order_store.OrderRow
LINE_COLUMNS = (  # not `updated`: one date column less to parse is a tenth of a 10,000-row page
    Order.id,
    Order.state,
    Order.order_date,
    func.coalesce(func.json_array_length(Order.doc["orderItem"]), 0),  # counted by the database
    Order.submitted_by,
    case((Order.submitted_by == "", Order.doc), else_=null()),  # only rows from before the column
    Order.correlation_id,
    Order.name,
)


def _line(row: Any) -> OrderLine:
    """A list line from LINE_COLUMNS: no ORM entity and no `doc` parsed (a page of 10,000 stays
    cheap), except for orders stored before `submitted_by` existed."""
    oid, state, order_date, items, submitted_by, legacy_doc, correlation_id, name = row
    submitter = submitted_by or audit.submitter(legacy_doc or {})
    return OrderLine(oid, state, order_date, items, submitter, correlation_id, name)


def order_lines(
    ctx: Context, offset: int = 0, limit: int = 100, state: str | None = None
) -> tuple[list[OrderLine], int]:
    """A page of orders, newest first, and how many there are."""
    query = select(*LINE_COLUMNS)
    counted = select(func.count()).select_from(Order)
    if state:
        query = query.where(Order.state == state)
        counted = counted.where(Order.state == state)
    query = query.order_by(Order.order_date.desc(), Order.id)
    with ctx.sessions() as session:
        rows = session.execute(query.offset(offset).limit(limit))
        return [_line(r) for r in rows], int(session.scalar(counted) or 0)


def changed_since(ctx: Context, since: datetime) -> list[tuple[datetime, OrderLine]]:
    """Orders updated after `since`, oldest update first, each with its update time."""
    query = select(Order.updated, *LINE_COLUMNS).where(Order.updated > since).order_by(Order.updated)
    with ctx.sessions() as session:
        return [(r[0], _line(r[1:])) for r in session.execute(query.limit(500))]


def order_view(ctx: Context, order_id: str) -> OrderView:
    with ctx.sessions() as session:
        row = order_store.get_order(session, order_id)
        if row is None:
            raise NotFound(f"resourceOrder {order_id} not found")
        resources = list(session.scalars(select(Resource).where(Resource.order_id == order_id)))
        keys = [order_id, *(r.id for r in resources)]
        events = list(
            session.scalars(
                select(outbox.OutboxRow)
                .where(outbox.OutboxRow.key.in_(keys))
                .where(outbox.OutboxRow.topic.in_([ORDER_TOPIC, RESOURCE_TOPIC]))
                .order_by(outbox.OutboxRow.seq)
                .limit(200)
            )
        )
        audits = session.scalars(
            select(audit.AuditRow).where(audit.AuditRow.order_id == order_id).order_by(audit.AuditRow.id)
        )
        return OrderView(
            row.doc,
            row.correlation_id,
            order_store.steps(session, order_id),
            [audit.to_doc(a) for a in audits],
            events,
            resources,
        )


def devices_with_resources(ctx: Context) -> tuple[list[Device], dict[str, list[Resource]]]:
    with ctx.sessions() as session:
        devices = list_devices(session)
        per: dict[str, list[Resource]] = {d.name: [] for d in devices}
        for r in list_resources(session):
            per.setdefault(r.device, []).append(r)
    return devices, per


def device_state(resources: list[Resource]) -> str:
    """One word for a device's colour: `alarm` beats `unknown` beats `ok`."""
    statuses = {r.resource_status for r in resources}
    return next((s for s in ("alarm", "unknown") if s in statuses), "ok")


def device_view(ctx: Context, name: str, audit_limit: int = 20) -> DeviceView:
    with ctx.sessions() as session:
        device = session.get(Device, name)
        if device is None:
            raise NotFound(f"device {name} not found")
        audits = session.scalars(
            select(audit.AuditRow)
            .where(audit.AuditRow.device == name)
            .order_by(audit.AuditRow.id.desc())
            .limit(audit_limit)
        )
        drift = session.scalars(
            select(outbox.OutboxRow)
            .where(outbox.OutboxRow.topic == DRIFT_TOPIC, outbox.OutboxRow.key == name)
            .order_by(outbox.OutboxRow.seq.desc())
            .limit(5)
        )
        return DeviceView(
            device, list_resources(session, device=name), [audit.to_doc(a) for a in audits], list(drift)
        )


def slice_resources(ctx: Context) -> list[Resource]:
    with ctx.sessions() as session:
        return list_resources(session, spec_ids=SLICE_SPECS)


def status_history(ctx: Context, resource_ids: list[str], limit: int = 200) -> list[dict[str, Any]]:
    """Status changes of these resources, newest first, from the events ROM published about them
    (the SLA monitor's alarms reach the inventory as status PATCHes, drift as the monitor's marks)."""
    if not resource_ids:
        return []
    with ctx.sessions() as session:
        rows = session.scalars(
            select(outbox.OutboxRow)
            .where(outbox.OutboxRow.topic == RESOURCE_TOPIC, outbox.OutboxRow.key.in_(resource_ids))
            .order_by(outbox.OutboxRow.seq.desc())
            .limit(limit)
        )
        out = []
        for row in rows:
            body = (row.payload.get("event") or {}).get("resource") or {}
            out.append(
                {
                    "time": iso(row.created),
                    "resource": row.key,
                    "name": body.get("name", ""),
                    "eventType": row.payload.get("eventType", ""),
                    "status": body.get("resourceStatus", ""),
                    "correlationId": row.payload.get("correlationId", ""),
                }
            )
        return out
