"""The closed loop on the simulators, and KPI baselines as a post-check.

SLA loop: a ``degrade-kpi`` fault injected through the fleet's control API pushes the UPF slice
latency above 15 ms → the collector streams it to the real Kafka broker → the SLA monitor (a
consumer group) raises an alarm on ``rom.alarms`` and POSTs the rule's corrective TMF652 order →
the KPI recovers → the alarm is cleared.

Honest note: the corrective order goes to a tiny HTTP stub, not to ROM. The stub records the POST
(and the TMF639 resourceStatus PATCHes) and *then clears the fault through the control API*,
standing in for ROM executing the order; nothing in this test executes a real corrective order.
tests/e2e/test_sla_loop.py does: `rom serve` executes it on the gNB and the KPI recovers because of it.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from core.tmf652 import ResourceOrderCreate
from drivers.base import DeviceTarget
from lab.kafka_broker import KafkaBroker, kafka_libdir
from sims.control import ControlServer, build_control_app
from sims.fleet import FleetThread, SimDeviceSpec
from telemetry.baseline import KpiCheck, check_baselines, checks_from_spec
from telemetry.collector import Backoff, Collector
from telemetry.publish import TelemetryPublisher
from telemetry.sla import Rule, SlaMonitor
from telemetry.subscriptions import DeviceInfo, ResourceInfo, wanted_subscriptions

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("java") is None, reason="Java (17+) is not installed: no Kafka broker"),
]
GUARD_S = 60.0  # only a guard against hanging
CORRECTIVE = {
    "orderItem": [
        {
            "id": "1",
            "action": "modify",
            "resourceSpecification": {"id": "slice-core"},
            "resource": {
                "id": "{resource}",
                "resourceCharacteristic": [{"name": "upfCapacityBoost", "value": "{value}"}],
            },
        }
    ]
}


@dataclass
class Lab:
    fleet: FleetThread
    control_url: str
    posts: list[dict[str, Any]] = field(default_factory=list)
    alarms: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # TMF642 POST and PATCH
    patches: list[tuple[str, Any]] = field(default_factory=list)  # TMF639 merge or JSON patches


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with FleetThread([SimDeviceSpec("upf1", model="upf"), SimDeviceSpec("pe1")]) as fleet:
        server, loop = fleet.call(lambda f: (ControlServer(build_control_app(f)), asyncio.get_running_loop()))
        port = asyncio.run_coroutine_threadsafe(server.start(), loop).result(30)
        try:
            yield Lab(fleet, f"http://127.0.0.1:{port}")
        finally:
            asyncio.run_coroutine_threadsafe(server.stop(), loop).result(30)


@pytest.fixture
def rom_stub(lab: Lab) -> Iterator[str]:
    """Stands in for ROM's API: records orders and patches; a POSTed order clears every fault."""

    class Handler(BaseHTTPRequestHandler):
        def _body(self) -> Any:
            return json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")

        def do_POST(self) -> None:
            if self.path.endswith("/alarm"):
                lab.alarms.append(("POST", self._body()))
                return self._answer(201, {"id": "al-1"})
            lab.posts.append({"body": self._body(), "correlation": self.headers.get("X-Correlation-ID")})
            httpx.delete(f"{lab.control_url}/faults", timeout=30).raise_for_status()
            self._answer(201, {"id": "co-1", "href": f"{self.path}/co-1", "state": "acknowledged"})

        def do_PATCH(self) -> None:
            if "/alarm/" in self.path:
                lab.alarms.append((self.path, self._body()))
                return self._answer(200, {})
            lab.patches.append((self.path, self._body()))
            self._answer(200, {})

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    with KafkaBroker(tmp_path_factory.mktemp("kafka"), lib_dir=kafka_libdir(fetch=True)) as running:
        yield running


async def wait_for(predicate: Any, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + GUARD_S
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def test_sla_loop_degrade_alarm_corrective_order_recover_clear(
    lab: Lab, rom_stub: str, broker: KafkaBroker
) -> None:
    rule = Rule(
        "slice-latency", "kpis/slice/latency", ">", 15.0, for_s=1.0, resource="slice-1",
        corrective_order=CORRECTIVE,
    )  # fmt: skip
    endpoint = lab.fleet.endpoint("upf1")
    device = DeviceInfo("upf1", endpoint.platform, endpoint.host, endpoint.gnmi_port)
    slice_1 = ResourceInfo("slice-1", "slice-core", "upf1", {"sst": 1, "sd": "FFFFFF"})

    async def scenario() -> list[dict[str, Any]]:
        publisher = TelemetryPublisher(broker.bootstrap, "t.sla.telemetry", linger_ms=5)
        await publisher.start()
        collector = Collector(publisher.offer, backoff=Backoff(0.1, 1.0))
        await collector.apply(wanted_subscriptions([device], [slice_1], sample_interval_s=0.1))
        monitor = SlaMonitor(
            broker.bootstrap, [rule], telemetry_topic="t.sla.telemetry", alarms_topic="t.sla.alarms",
            group_id="t-sla", api_url=rom_stub, auto_offset_reset="earliest",
        )  # fmt: skip
        await monitor.start()
        runner = asyncio.create_task(monitor.run())
        try:
            await wait_for(lambda: all(s.synced for s in collector.status().values()), "sync")
            await asyncio.sleep(0.5)
            assert monitor.published == [], "an alarm before any fault"
            async with httpx.AsyncClient(base_url=lab.control_url) as control:
                fault = {"kind": "degrade-kpi", "device": "upf1", "slice": "1-FFFFFF", "latency_ms": 20}
                (await control.post("/faults", json=fault)).raise_for_status()
            await wait_for(lambda: len(monitor.published) >= 2, "alarm raised and cleared")
        finally:
            runner.cancel()
            await monitor.stop()
            await collector.close()
            await publisher.stop()
        return list(monitor.published)

    published = asyncio.run(scenario())
    raised, cleared = published[:2]
    assert (raised["state"], cleared["state"]) == ("raised", "cleared")
    assert raised["alarmId"] == cleared["alarmId"]
    assert raised["resource"] == "slice-1" and raised["value"] > 15.0
    assert cleared["value"] <= 15.0
    assert raised["correctiveOrder"]["id"] == "co-1" and raised["correctiveOrder"]["status"] == 201
    assert len(lab.posts) == 1
    order = ResourceOrderCreate.model_validate(lab.posts[0]["body"])  # what ROM's API would accept
    assert order.orderItem[0].resource is not None and order.orderItem[0].resource.id == "slice-1"
    assert lab.posts[0]["correlation"] == raised["alarmId"]
    raise_patch, clear_patch = (body for _path, body in lab.patches)
    assert raise_patch == {"resourceStatus": "alarm"}  # a merge patch; the clear tests it is still alarm
    assert clear_patch == [
        {"op": "test", "path": "/resourceStatus", "value": "alarm"},
        {"op": "replace", "path": "/resourceStatus", "value": "available"},
    ]
    (how, created), (path, clear) = lab.alarms  # TMF642: raised, then cleared
    assert how == "POST" and created["externalAlarmId"] == raised["alarmId"]
    assert created["alarmedObject"]["id"] == "slice-1" and created["alarmType"] == "qualityOfServiceAlarm"
    assert (
        path == "/tmf-api/alarmManagement/v4/alarm/al-1"
        and clear["alarmClearedTime"] == cleared["clearedTime"]
    )
    assert httpx.get(f"{lab.control_url}/faults").json() == {"faults": []}

    async def alarms_in_kafka() -> list[dict[str, Any]]:
        consumer = AIOKafkaConsumer(
            "t.sla.alarms", bootstrap_servers=broker.bootstrap, auto_offset_reset="earliest"
        )
        await consumer.start()
        try:
            batch = await consumer.getmany(timeout_ms=5000)
            return [json.loads(r.value or b"") | {"_key": r.key} for rs in batch.values() for r in rs]
        finally:
            await consumer.stop()

    in_kafka = asyncio.run(alarms_in_kafka())
    assert [(a["alarmId"], a["state"], a["_key"]) for a in in_kafka[:2]] == [
        (raised["alarmId"], "raised", b"slice-1"),
        (raised["alarmId"], "cleared", b"slice-1"),
    ]


def _target(lab: Lab, name: str) -> DeviceTarget:
    ep = lab.fleet.endpoint(name)
    return DeviceTarget(name, ep.host, ep.netconf_port, ep.platform, "admin", "admin", gnmi_port=ep.gnmi_port)


POST_CHECKS = {
    "kpis": [
        {
            "name": "oper-up",
            "path": "interfaces/interface[name={interface}]/state/oper-status",
            "equals": "UP",
        },
        {
            "name": "traffic",
            "path": "interfaces/interface[name={interface}]/state/counters/in-octets",
            "increasing": True,
        },
    ]
}


def test_kpi_baselines_pass_and_fail(lab: Lab) -> None:
    targets = [_target(lab, "pe1"), _target(lab, "upf1")]
    checks = [
        *checks_from_spec(POST_CHECKS, {"interface": "Ethernet1"}, "pe1"),
        KpiCheck("slice-latency", "ManagedElement/*/kpis/slice/latency", "upf1", op="<=", threshold=15.0),
    ]
    assert check_baselines(targets, checks, window_s=1.5) == []

    httpx.post(
        f"{lab.control_url}/faults",
        json={"kind": "degrade-kpi", "device": "upf1", "latency_ms": 30},
    ).raise_for_status()
    try:
        failing = [
            *checks,
            KpiCheck("missing", "interfaces/interface[name=Nope]/state/oper-status", "pe1", equals="UP"),
        ]
        problems = check_baselines(targets, failing, window_s=1.5)
    finally:
        httpx.delete(f"{lab.control_url}/faults").raise_for_status()
    assert any(p.startswith("upf1: slice-latency") and "not <= 15" in p for p in problems), problems
    assert any(p.startswith("pe1: missing: no data") for p in problems), problems
    assert len(problems) == 2, problems


def test_tail_prints_alarms(broker: KafkaBroker) -> None:
    """`rom telemetry tail alarms` reads what the SLA test published (table and JSON lines)."""
    from typer.testing import CliRunner

    from cli.telemetry import app

    async def publish() -> None:
        from aiokafka import AIOKafkaProducer

        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap)
        await producer.start()
        body = {"alarmId": "a1", "state": "raised", "perceivedSeverity": "major", "resource": "slice-9",
                "specificProblem": "slice-latency: [x] > 15", "value": 21.0, "raisedTime": "t0"}  # fmt: skip
        await producer.send_and_wait("t.tail.alarms", json.dumps(body).encode(), key=b"slice-9")
        await producer.stop()

    asyncio.run(publish())
    common = [
        "tail",
        "alarms",
        "--bootstrap",
        broker.bootstrap,
        "--topic",
        "t.tail.alarms",
        "--from-beginning",
    ]
    as_json = CliRunner().invoke(app, [*common, "--limit", "1", "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.output.strip())["alarmId"] == "a1"
    as_table = CliRunner().invoke(app, [*common, "--limit", "1"])
    assert as_table.exit_code == 0, as_table.output
    assert "slice-9" in as_table.output and "[x]" in as_table.output
