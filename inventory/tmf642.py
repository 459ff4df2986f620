"""TMF642 v4 Alarm Management: the alarm document and the rules of raising, changing, acknowledging
and clearing one (pure). No official TMF642 swagger is at hand here: attribute names and enumerations
follow the TMF642 v4 resource model; docs/tmf-conformance.md says where ROM departs from it."""

from __future__ import annotations

from typing import Any

from core.errors import Conflict, InvalidRequest
from core.tmf_formats import is_date_time

ALARM_API = "/tmf-api/alarmManagement/v4"
ALARM_PATH = f"{ALARM_API}/alarm"
ALARM_TYPES = frozenset(
    {
        "communicationsAlarm",
        "processingErrorAlarm",
        "environmentalAlarm",
        "qualityOfServiceAlarm",
        "equipmentAlarm",
        "integrityViolation",
        "operationalViolation",
        "physicalViolation",
        "securityServiceOrMechanismViolation",
        "timeDomainViolation",
    }
)
SEVERITIES = frozenset({"critical", "major", "minor", "warning", "indeterminate", "cleared"})
ACK_STATES = frozenset({"acknowledged", "unacknowledged"})
REQUIRED = (
    "alarmType",
    "perceivedSeverity",
    "probableCause",
    "alarmedObject",
    "sourceSystemId",
    "alarmRaisedTime",
)
# Set by ROM, never by the alarm's source in a create
SERVER_SET = ("id", "href", "state", "ackState", "alarmClearedTime", "alarmChangedTime", "alarmReportingTime")
# What a PATCH may change; the rest identifies the alarm
PATCHABLE = frozenset(
    {
        "perceivedSeverity",
        "probableCause",
        "specificProblem",
        "alarmChangedTime",
        "alarmClearedTime",
        "clearUserId",
        "clearSystemId",
        "ackState",
        "ackUserId",
        "ackSystemId",
        "comment",
        "crossedThresholdInformation",
        "proposedRepairedActions",
        "serviceAffecting",
        "affectedService",
        "alarmDetails",
    }
)


def _require_str(doc: dict[str, Any], name: str) -> str:
    value = doc.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidRequest(f"{name} is required and must be a non-empty string")
    return value


def check_fields(doc: dict[str, Any]) -> None:
    """Enumerations, references and dates of an alarm document (whole, or a patch's result)."""
    if doc.get("alarmType") not in ALARM_TYPES:
        raise InvalidRequest(f"alarmType must be one of {', '.join(sorted(ALARM_TYPES))}")
    if doc.get("perceivedSeverity") not in SEVERITIES:
        raise InvalidRequest(f"perceivedSeverity must be one of {', '.join(sorted(SEVERITIES))}")
    if doc.get("ackState", "unacknowledged") not in ACK_STATES:
        raise InvalidRequest("ackState must be acknowledged or unacknowledged")
    obj = doc.get("alarmedObject")
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) or not obj["id"]:
        raise InvalidRequest("alarmedObject must be an object with an id (the alarmed resource)")
    for name in ("alarmRaisedTime", "alarmChangedTime", "alarmClearedTime", "alarmReportingTime"):
        value = doc.get(name)
        if value is not None and (not isinstance(value, str) or not is_date_time(value)):
            raise InvalidRequest(f"{name} must be an RFC 3339 date-time with a time zone")
    for name in ("probableCause", "sourceSystemId"):
        _require_str(doc, name)


def new_alarm(alarm_id: str, body: dict[str, Any], now: str) -> dict[str, Any]:
    """The document of a raised alarm from its source's create body."""
    given = sorted(k for k in SERVER_SET if k in body)
    if given:
        raise InvalidRequest(f"set by ROM, not in a create: {', '.join(given)}")
    missing = [k for k in REQUIRED if k not in body]
    if missing:
        raise InvalidRequest(f"missing: {', '.join(missing)}")
    if body.get("perceivedSeverity") == "cleared":
        raise InvalidRequest("a new alarm cannot be cleared (perceivedSeverity cleared)")
    doc = {
        **body,
        "id": alarm_id,
        "href": f"{ALARM_PATH}/{alarm_id}",
        "state": "raised",
        "ackState": "unacknowledged",
        "alarmReportingTime": now,
        "@type": body.get("@type", "Alarm"),
    }
    check_fields(doc)
    return doc


def patched(before: dict[str, Any], patch: dict[str, Any], now: str) -> dict[str, Any]:
    """The alarm after a merge patch: acknowledging, clearing (perceivedSeverity `cleared` or an
    alarmClearedTime), or a change of what the source reports (state `updated`)."""
    refused = sorted(set(patch) - PATCHABLE - {"id", "href"})
    if refused:
        raise InvalidRequest(
            f"cannot change: {', '.join(refused)} (patchable: {', '.join(sorted(PATCHABLE))})"
        )
    for key in ("id", "href"):
        if key in patch and patch[key] != before[key]:
            raise InvalidRequest(f"read-only field cannot change: {key}")
    after = {**before, **{k: v for k, v in patch.items() if v is not None}}
    for key in (k for k, v in patch.items() if v is None and k in PATCHABLE):
        after.pop(key, None)
    clearing = patch.get("perceivedSeverity") == "cleared" or "alarmClearedTime" in patch
    if before["state"] == "cleared" and any(k not in ACK_FIELDS | {"comment", "id", "href"} for k in patch):
        raise Conflict(f"alarm {before['id']} is cleared: only its acknowledgement and comments change")
    if clearing and before["state"] != "cleared":
        after.update(state="cleared", perceivedSeverity="cleared")
        after.setdefault("alarmClearedTime", now)
    elif any(k in patch for k in REPORTED):
        after.update(state="updated", alarmChangedTime=patch.get("alarmChangedTime", now))
    if "ackState" in patch and patch["ackState"] == "unacknowledged":
        after.pop("ackUserId", None)
        after.pop("ackSystemId", None)
    check_fields(after)
    return after


ACK_FIELDS = frozenset({"ackState", "ackUserId", "ackSystemId"})
REPORTED = frozenset({"perceivedSeverity", "probableCause", "specificProblem", "crossedThresholdInformation"})


def matches(doc: dict[str, Any], pattern: dict[str, Any]) -> bool:
    """Whether an alarm matches an `alarmPattern` entry: every attribute given equals the alarm's
    (nested objects such as alarmedObject compared on the attributes given)."""
    for key, want in pattern.items():
        have = doc.get(key)
        if isinstance(want, dict):
            if not isinstance(have, dict) or not matches(have, want):
                return False
        elif have != want:
            return False
    return True
