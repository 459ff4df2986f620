"""TMF642 alarm rules (inventory/tmf642.py): raise, update, acknowledge, clear."""

from __future__ import annotations

import pytest

from core.errors import Conflict, InvalidRequest
from inventory.tmf642 import matches, new_alarm, patched

NOW = "2026-12-07T03:00:00Z"
BODY = {
    "alarmType": "qualityOfServiceAlarm",
    "perceivedSeverity": "major",
    "probableCause": "thresholdCrossed",
    "alarmedObject": {"id": "device-pe1", "href": "/x"},
    "sourceSystemId": "rom-sla",
    "alarmRaisedTime": "2026-12-07T02:59:00Z",
}


def test_raise_update_acknowledge_clear() -> None:
    raised = new_alarm("a1", BODY, NOW)
    assert (raised["state"], raised["ackState"], raised["alarmReportingTime"]) == (
        "raised",
        "unacknowledged",
        NOW,
    )
    worse = patched(raised, {"perceivedSeverity": "critical"}, NOW)
    assert (worse["state"], worse["alarmChangedTime"]) == ("updated", NOW)
    acked = patched(worse, {"ackState": "acknowledged", "ackUserId": "noc"}, NOW)
    assert (acked["state"], acked["ackState"]) == ("updated", "acknowledged")
    cleared = patched(acked, {"alarmClearedTime": "2026-12-07T03:01:00Z"}, NOW)
    assert (cleared["state"], cleared["perceivedSeverity"]) == ("cleared", "cleared")
    assert cleared["alarmClearedTime"] == "2026-12-07T03:01:00Z"
    unacked = patched(cleared, {"ackState": "unacknowledged"}, NOW)
    assert "ackUserId" not in unacked and unacked["state"] == "cleared"
    with pytest.raises(Conflict):
        patched(cleared, {"perceivedSeverity": "minor"}, NOW)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"alarmType": "equipmentAlarm"}, "cannot change: alarmType"),
        ({"id": "other"}, "read-only"),
        ({"ackState": "maybe"}, "ackState"),
        ({"alarmClearedTime": "soon"}, "alarmClearedTime"),
    ],
)
def test_bad_patches(change: dict[str, object], fragment: str) -> None:
    with pytest.raises(InvalidRequest, match=fragment):
        patched(new_alarm("a1", BODY, NOW), change, NOW)


def test_patterns_match_on_the_attributes_given() -> None:
    doc = new_alarm("a1", BODY, NOW)
    assert matches(doc, {"alarmedObject": {"id": "device-pe1"}, "perceivedSeverity": "major"})
    assert not matches(doc, {"alarmedObject": {"id": "device-pe2"}})
    assert not matches(doc, {"state": "cleared"})
