"""TMF642 alarms: the alarms raised on ROM's resources (the SLA monitor raises and clears them
through the API), their acknowledgement and clearing, and their events through the outbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import outbox
from core.db import Base, UtcDateTime, utcnow
from core.errors import InvalidRequest, NotFound
from core.events import ALARM_TOPIC, alarm_event, now_iso
from core.query import Column, PageRequest, fetch_page, project
from inventory.context import Context
from inventory.tmf642 import ALARM_API, matches, new_alarm, patched


class AlarmRow(Base):
    """One TMF642 alarm; `doc` is its document, the columns what lists filter on."""

    __tablename__ = "alarms"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    ack_state: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    alarm_type: Mapped[str] = mapped_column(String(64))
    alarmed_object: Mapped[str] = mapped_column(String(255), index=True)
    external_id: Mapped[str] = mapped_column(String(255), default="")
    raised: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    doc: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


COLUMNS = {
    "id": Column(AlarmRow.id),
    "state": Column(AlarmRow.state),
    "ackState": Column(AlarmRow.ack_state),
    "perceivedSeverity": Column(AlarmRow.severity),
    "alarmType": Column(AlarmRow.alarm_type),
    "alarmedObject.id": Column(AlarmRow.alarmed_object),
    "externalAlarmId": Column(AlarmRow.external_id),
    "alarmRaisedTime": Column(AlarmRow.raised, datetime),
}


def _write(row: AlarmRow, doc: dict[str, Any]) -> None:
    row.doc, row.state, row.ack_state = doc, doc["state"], doc["ackState"]
    row.severity, row.alarm_type = doc["perceivedSeverity"], doc["alarmType"]
    row.alarmed_object, row.external_id = doc["alarmedObject"]["id"], str(doc.get("externalAlarmId", ""))
    row.raised = datetime.fromisoformat(doc["alarmRaisedTime"].upper().replace("Z", "+00:00"))


def _event(session: Session, kind: str, doc: dict[str, Any], correlation_id: str) -> None:
    outbox.add_event(session, ALARM_TOPIC, doc["id"], alarm_event(kind, doc, correlation_id))


def create_alarm(ctx: Context, body: dict[str, Any], correlation_id: str) -> dict[str, Any]:
    doc = new_alarm(str(uuid.uuid4()), body, now_iso())
    with ctx.transaction() as session:
        row = AlarmRow(id=doc["id"])
        _write(row, doc)
        session.add(row)
        _event(session, "AlarmCreateEvent", doc, correlation_id)
    return doc


def _row(session: Session, alarm_id: str) -> AlarmRow:
    row = session.get(AlarmRow, alarm_id)
    if row is None:
        raise NotFound(f"alarm {alarm_id} not found")
    return row


def get_alarm(ctx: Context, alarm_id: str, fields: str | None = None) -> dict[str, Any]:
    with ctx.sessions() as session:
        return project(_row(session, alarm_id).doc, fields)


def list_alarms_page(ctx: Context, page: PageRequest) -> tuple[list[dict[str, Any]], int]:
    with ctx.sessions() as session:
        return fetch_page(session, AlarmRow, COLUMNS, "-alarmRaisedTime", page, lambda r: r.doc)


def _change(session: Session, row: AlarmRow, patch: dict[str, Any], correlation_id: str) -> dict[str, Any]:
    before = row.doc
    after = patched(before, patch, now_iso())
    _write(row, after)
    if after["state"] != before["state"] or after["ackState"] != before["ackState"]:
        _event(session, "AlarmStateChangeEvent", after, correlation_id)
    if any(before.get(k) != after.get(k) for k in set(before) | set(after) if k not in ("state", "ackState")):
        _event(session, "AlarmAttributeValueChangeEvent", after, correlation_id)
    return after


def patch_alarm(ctx: Context, alarm_id: str, patch: dict[str, Any], correlation_id: str) -> dict[str, Any]:
    with ctx.transaction() as session:
        return _change(session, _row(session, alarm_id), patch, correlation_id)


def delete_alarm(ctx: Context, alarm_id: str, correlation_id: str) -> None:
    with ctx.transaction() as session:
        row = _row(session, alarm_id)
        _event(session, "AlarmDeleteEvent", row.doc, correlation_id)
        session.delete(row)


def _patterns(body: dict[str, Any]) -> list[dict[str, Any]]:
    patterns = body.get("alarmPattern")
    if not isinstance(patterns, list) or not patterns or not all(isinstance(p, dict) and p for p in patterns):
        raise InvalidRequest("alarmPattern must be a non-empty list of alarm attribute patterns")
    return patterns


def run_task(ctx: Context, task: str, body: dict[str, Any], correlation_id: str) -> dict[str, Any]:
    """`ackAlarms` or `clearAlarms`: every alarm matching one of `alarmPattern` acknowledged or
    cleared, in one transaction; the task's document lists them."""
    patterns = _patterns(body)
    who = {k: v for k, v in body.items() if k in TASK_FIELDS[task] - {"ackTime"} and isinstance(v, str)}
    patch = (
        {"ackState": "acknowledged", **who}
        if task == "ackAlarms"
        else {"perceivedSeverity": "cleared", **who}
    )
    done = []
    with ctx.transaction() as session:
        query = (
            select(AlarmRow).where(AlarmRow.state != "cleared") if task == "clearAlarms" else select(AlarmRow)
        )
        for row in session.scalars(query.order_by(AlarmRow.raised)):
            if any(matches(row.doc, p) for p in patterns):
                _change(session, row, patch, correlation_id)
                done.append({"id": row.id, "href": row.doc["href"], "@referredType": "Alarm"})
    task_id = str(uuid.uuid4())
    listed = "ackedAlarm" if task == "ackAlarms" else "clearedAlarm"
    return {
        **{k: v for k, v in body.items() if k in TASK_FIELDS[task] or k == "alarmPattern"},
        "id": task_id,
        "href": f"{ALARM_API}/{task}/{task_id}",
        "state": "done",
        listed: done,
        "@type": task[0].upper() + task[1:],
    }


TASK_FIELDS = {
    "ackAlarms": frozenset({"ackUserId", "ackSystemId", "ackTime"}),
    "clearAlarms": frozenset({"clearUserId", "clearSystemId", "alarmClearedTime"}),
}
