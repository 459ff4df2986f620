"""The SLA monitor's "a corrective order is running" survives a restart: it lives in ROM (the
corrective order's externalId `rom-sla:<rule>:<subject>:<n>`). Against a real `rom serve`: a
monitor restarted mid-loop, with the breach raised again under a new alarm id, sends no second
corrective order while the first has not ended; two fresh monitors at once send one; once the
first has ended, the next alarm sends the next one."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.settings import Settings
from inventory.context import Context
from inventory.records import Device, upsert_device
from lab.support import serving
from telemetry.sla import Rule, SlaMonitor
from telemetry.sla_rules import Alarm, corrective_order
from tests.integration.conftest import ORDERS, l3vpn_item, order

pytestmark = pytest.mark.integration
CANCEL = "/tmf-api/resourceOrderingManagement/v4/cancelResourceOrder"
# a corrective order that waits (requested start far ahead): it has not ended until cancelled
TEMPLATE = order(l3vpn_item("1", "pe1", "SLA", 500), requestedStartDate="2099-01-01T00:00:00Z")
RULE = Rule("latency", "kpis/slice/latency", ">", 15, 1, corrective_order=TEMPLATE)


@pytest.fixture
def rom(tmp_path: Path) -> Iterator[httpx.Client]:
    ctx = Context.create(Settings(var_dir=tmp_path))
    with ctx.transaction() as session:
        upsert_device(session, Device(name="pe1", host="127.0.0.1", port=1, platform="rom-router"))
    ctx.engine.dispose()
    with serving({**os.environ, "ROM_VAR_DIR": str(tmp_path)}, tmp_path / "serve.log") as client:
        yield client


def alarm(alarm_id: str) -> Alarm:
    return Alarm(alarm_id, RULE, "slice-1", "upf1", "slice-1", "kpis/slice/latency", 20.0, time.time_ns())


async def raised(api_url: str, alarm_id: str) -> dict[str, Any]:
    """A freshly started monitor (no memory of its own) meets an alarm of the rule and subject."""
    monitor = SlaMonitor("127.0.0.1:1", [RULE], api_url=api_url)  # Kafka is not used here
    try:
        a = alarm(alarm_id)
        body = corrective_order(a)
        assert body is not None
        return await monitor._corrective(a, body)
    finally:
        await monitor._http.aclose()


def corrective_orders(rom: httpx.Client) -> list[dict[str, Any]]:
    every = rom.get(ORDERS, params={"fields": "id,externalId,state"}).json()
    return [o for o in every if str(o.get("externalId", "")).startswith("rom-sla:latency:slice-1:")]


def test_a_restarted_monitor_sends_no_second_corrective_order(rom: httpx.Client) -> None:
    url = str(rom.base_url)
    first = asyncio.run(raised(url, "alarm-1"))
    assert first["status"] == 201 and first["id"]

    again = asyncio.run(raised(url, "alarm-2"))  # restarted: the breach is raised with a new id
    assert again["id"] == first["id"] and "has not ended" in again["note"]

    async def two_at_once() -> list[dict[str, Any]]:
        return list(await asyncio.gather(raised(url, "alarm-3"), raised(url, "alarm-4")))

    assert {a["id"] for a in asyncio.run(two_at_once())} == {first["id"]}
    assert [o["id"] for o in corrective_orders(rom)] == [first["id"]]

    assert rom.post(CANCEL, json={"resourceOrder": {"id": first["id"]}}).status_code == 201
    deadline = time.monotonic() + 30
    while rom.get(f"{ORDERS}/{first['id']}").json()["state"] != "cancelled":
        assert time.monotonic() < deadline, "the first corrective order was not cancelled"
        time.sleep(0.2)
    after = asyncio.run(raised(url, "alarm-5"))  # it ended: the next alarm corrects again
    assert after["status"] == 201 and after["id"] != first["id"]
    assert sorted(o["externalId"] for o in corrective_orders(rom)) == [
        "rom-sla:latency:slice-1:1",
        "rom-sla:latency:slice-1:2",
    ]
