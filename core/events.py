"""TMF event envelopes (pure)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

ORDER_TOPIC = "rom.resourceOrder.events"
RESOURCE_TOPIC = "rom.resource.events"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def envelope(
    event_type: str, domain: str, body_key: str, body: dict[str, Any], correlation_id: str, title: str
) -> dict[str, Any]:
    at = now_iso()
    return {
        "eventId": str(uuid.uuid4()),
        "eventTime": at,
        "eventType": event_type,
        "correlationId": correlation_id,
        "domain": domain,
        "title": title,
        "description": f"{event_type} for {body.get('id', '')}",
        "priority": "4",
        "timeOcurred": at,
        "event": {body_key: body},
    }


def order_event(event_type: str, order: dict[str, Any], correlation_id: str) -> dict[str, Any]:
    return envelope(
        event_type, "resourceOrderingManagement", "resourceOrder", order, correlation_id, event_type
    )


def resource_event(event_type: str, resource: dict[str, Any], correlation_id: str) -> dict[str, Any]:
    return envelope(
        event_type, "resourceInventoryManagement", "resource", resource, correlation_id, event_type
    )


ALARM_TOPIC = "rom.alarm.events"


def alarm_event(event_type: str, alarm: dict[str, Any], correlation_id: str) -> dict[str, Any]:
    """TMF642: AlarmCreateEvent, AlarmAttributeValueChangeEvent, AlarmStateChangeEvent, ..."""
    return envelope(event_type, "alarmManagement", "alarm", alarm, correlation_id, event_type)
