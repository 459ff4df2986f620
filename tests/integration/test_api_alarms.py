"""TMF642 Alarm Management: the SLA monitor's alarm raised through the API, listed and filtered by
an assurance client, acknowledged, cleared; every change an event in the outbox (hubs and Kafka)."""

from __future__ import annotations

import time
from typing import Any

from core import outbox
from core.events import ALARM_TOPIC
from inventory.tmf639 import RESOURCE_PATH
from telemetry.sla_rules import Alarm, Rule
from tests.integration.conftest import RomUnderTest

API = "/tmf-api/alarmManagement/v4"
MERGE = {"Content-Type": "application/merge-patch+json"}


def raise_alarm(rom: RomUnderTest, device: str, severity: str = "major") -> dict[str, Any]:
    """What the SLA monitor POSTs when its rule fires (telemetry.sla)."""
    rule = Rule("slice-latency", "kpis/slice/latency", ">", 15.0, for_s=1.0, severity=severity)
    alarm = Alarm("a-" + device, rule, device, device, None, "kpis/slice/latency", 21.5, time.time_ns())
    created = rom.client.post(f"{API}/alarm", json=alarm.to_tmf642(RESOURCE_PATH, f"device-{device}"))
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == created.json()["href"]
    doc: dict[str, Any] = created.json()
    return doc


def events(rom: RomUnderTest) -> list[tuple[str, str]]:
    with rom.ctx.sessions() as session:
        rows = outbox.list_events(session, ALARM_TOPIC)
        return [(e.payload["eventType"], e.payload["event"]["alarm"]["state"]) for e in rows]


def test_list_acknowledge_and_clear(rom: RomUnderTest) -> None:
    first = raise_alarm(rom, "pe1")
    second = raise_alarm(rom, "pe2", severity="critical")
    assert (first["state"], first["ackState"], first["perceivedSeverity"]) == (
        "raised",
        "unacknowledged",
        "major",
    )
    alarmed = rom.client.get(first["alarmedObject"]["href"])
    assert alarmed.status_code == 200 and alarmed.json()["name"] == "pe1"  # a TMF639 resource

    page = rom.client.get(f"{API}/alarm", params={"perceivedSeverity": "critical", "fields": "alarmedObject"})
    assert page.headers["X-Total-Count"] == "1" and page.json()[0]["alarmedObject"]["id"] == "device-pe2"
    by_object = rom.client.get(f"{API}/alarm", params={"alarmedObject.id": "device-pe1", "state": "raised"})
    assert [a["id"] for a in by_object.json()] == [first["id"]]

    acked = rom.client.post(
        f"{API}/ackAlarms", json={"ackUserId": "noc-1", "alarmPattern": [{"id": first["id"]}]}
    )
    assert acked.status_code == 201 and [a["id"] for a in acked.json()["ackedAlarm"]] == [first["id"]]
    doc = rom.client.get(first["href"]).json()
    assert (doc["ackState"], doc["ackUserId"], doc["state"]) == ("acknowledged", "noc-1", "raised")

    cleared = rom.client.patch(
        first["href"], json={"alarmClearedTime": "2026-12-07T03:00:00Z"}, headers=MERGE
    )
    assert cleared.status_code == 200, cleared.text
    assert (cleared.json()["state"], cleared.json()["perceivedSeverity"]) == ("cleared", "cleared")
    again = rom.client.patch(first["href"], json={"perceivedSeverity": "minor"}, headers=MERGE)
    assert again.status_code == 409

    task = rom.client.post(
        f"{API}/clearAlarms",
        json={"clearUserId": "noc-1", "alarmPattern": [{"alarmedObject": {"id": "device-pe2"}}]},
    )
    assert task.status_code == 201 and [a["id"] for a in task.json()["clearedAlarm"]] == [second["id"]]
    assert rom.client.get(f"{API}/alarm", params={"state": "cleared"}).headers["X-Total-Count"] == "2"
    assert events(rom) == [
        ("AlarmCreateEvent", "raised"),
        ("AlarmCreateEvent", "raised"),
        ("AlarmStateChangeEvent", "raised"),  # acknowledged
        ("AlarmAttributeValueChangeEvent", "raised"),  # ackUserId
        ("AlarmStateChangeEvent", "cleared"),
        ("AlarmAttributeValueChangeEvent", "cleared"),
        ("AlarmStateChangeEvent", "cleared"),
        ("AlarmAttributeValueChangeEvent", "cleared"),
    ]


def test_bad_alarms_are_refused(rom: RomUnderTest) -> None:
    body = raise_alarm(rom, "pe1")
    create = {
        k: v for k, v in body.items() if k not in ("id", "href", "state", "ackState", "alarmReportingTime")
    }
    for change, fragment in [
        ({"perceivedSeverity": "apocalyptic"}, "perceivedSeverity"),
        ({"alarmType": "badVibes"}, "alarmType"),
        ({"state": "cleared"}, "set by ROM"),
        ({"alarmedObject": {"name": "x"}}, "alarmedObject"),
        ({"alarmRaisedTime": "yesterday"}, "alarmRaisedTime"),
    ]:
        refused = rom.client.post(f"{API}/alarm", json={**create, **change})
        assert refused.status_code == 400 and fragment in refused.json()["message"], refused.text
    missing = rom.client.post(f"{API}/alarm", json={k: v for k, v in create.items() if k != "probableCause"})
    assert missing.status_code == 400 and "probableCause" in missing.json()["message"]
    assert (
        rom.client.patch(body["href"], json={"alarmType": "equipmentAlarm"}, headers=MERGE).status_code == 400
    )
    assert rom.client.post(f"{API}/ackAlarms", json={"alarmPattern": []}).status_code == 400
    assert rom.client.get(f"{API}/alarm/nope").status_code == 404
    assert rom.client.get(f"{API}/alarm", params={"colour": "red"}).status_code == 400
    assert rom.client.delete(body["href"]).status_code == 204
    assert rom.client.get(body["href"]).status_code == 404
