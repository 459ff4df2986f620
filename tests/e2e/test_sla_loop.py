"""The closed SLA loop on the 5G lab, every piece a real process: degrade -> alarm -> corrective order
-> KPI recovers -> alarm cleared.

`rom lab up` (gNB, UPF, SMF, routers), `rom serve`, a KRaft Kafka broker, `rom telemetry run
--rules` (gNMI collector + SLA monitor) and two `rom telemetry tail` readers. A slice is ordered;
a `load` fault on the gNB makes the slice demand more PRBs than its RRM policy gives it, so its
latency rises (sims/kpi.py: congestion). The monitor raises an alarm, marks the RAN resource
`alarm` and submits the rule's corrective order (a TMF652 `modify` raising `maxRatio`) through
ROM's API (with its own API key); ROM pushes it to the gNB over gNMI. The fault stays in place:
the latency falls because the slice now gets the PRBs it asks for, and the alarm clears. An
operator watches it in the console: Chromium (Playwright) logs in, opens the slices page, and sees
the RAN resource go to `alarm` and back.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from playwright.sync_api import Browser, expect
from pygnmi.client import gNMIclient

from lab.containerlab import read_control_url, read_endpoints
from lab.kafka_broker import KafkaBroker, kafka_libdir
from lab.support import REPO, free_port, running_lab, serving, wait_order
from tests.e2e.conftest import api_key
from tests.e2e.test_console_browser import VIEWPORT, browser, log_in  # noqa: F401 - `browser`: a fixture

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("java") is None, reason="Java (17+) is not installed: no Kafka broker"),
]
TOPOLOGY = REPO / "topologies" / "5g-slice.clab.yml"
ORDERS = "/tmf-api/resourceOrderingManagement/v4/resourceOrder"
RESOURCES = "/tmf-api/resourceInventoryManagement/v4/resource"
ALARM_API = "/tmf-api/alarmManagement/v4"
ALARMS = f"{ALARM_API}/alarm"
ASSURANCE_KEY = "assurance-key-0123456789"
SLICE: dict[str, Any] = json.loads((REPO / "docs" / "examples" / "5g-slice-order.json").read_text())
LATENCY = "/ManagedElement/GNBDUFunction/NRCellDU/kpis/slice/latency"
THRESHOLD_MS = 3.0  # URLLC base latency is 2 ms; load x6 against maxRatio 60 gives 4-6 ms
GUARD_S = 45.0  # only a guard against hanging
OPERATOR_KEY, SLA_KEY = "operator-key-0123456789", "sla-monitor-key-0123456789"


class Tail:
    """`rom telemetry tail STREAM --format json` as a separate process; its messages, as they come."""

    def __init__(self, env: dict[str, str], stream: str, *extra: str) -> None:
        self.messages: list[dict[str, Any]] = []
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cli",
                "telemetry",
                "tail",
                stream,
                "--format",
                "json",
                "--from-beginning",
                *extra,
            ],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.messages.append(json.loads(line))

    def wait(self, predicate: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
        """The first message (seen so far or coming) that satisfies `predicate`."""
        deadline = time.monotonic() + GUARD_S
        while time.monotonic() < deadline:
            found = next((m for m in list(self.messages) if predicate(m)), None)
            if found is not None:
                return found
            assert self.process.poll() is None, f"tail exited waiting for {what}"
            time.sleep(0.05)
        last = self.messages[-1] if self.messages else None
        raise AssertionError(f"timed out waiting for {what} ({len(self.messages)} messages, last: {last})")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def create_topics(bootstrap: str, names: list[str]) -> None:
    async def create() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(name, 1, 1) for name in names])
        finally:
            await admin.close()

    asyncio.run(create())


def run_order(api: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    created = api.post(ORDERS, json=body)
    assert created.status_code == 201, created.text
    return wait_order(api, created.json()["id"], GUARD_S)


def rrm_policy(host: str, port: int, policy: str) -> dict[str, Any]:
    """The gNB's RRM policy as an independent gNMI client (pygnmi) reads it."""
    cell = "/ManagedElement[id=gnb1]/GNBDUFunction[id=1]/NRCellDU[id=1]"
    path = f"{cell}/RRMPolicyRatio[id={policy}]/attributes"
    with gNMIclient(target=(host, port), username="admin", password="admin", insecure=True) as gc:
        reply = gc.get(path=[path], datatype="config", encoding="json_ietf")
    value: dict[str, Any] = reply["notification"][0]["update"][0]["val"]
    return {k.split(":")[-1]: v for k, v in value.items()}


def latency_of(event: dict[str, Any], resource: str) -> float | None:
    if event.get("resource") != resource or event["tags"].get("slice_sd") != "00A0B1":
        return None
    value = event["values"].get(LATENCY)
    return float(value) if value is not None else None


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    with KafkaBroker(tmp_path_factory.mktemp("kafka"), lib_dir=kafka_libdir(fetch=True)) as running:
        create_topics(running.bootstrap, ["rom.telemetry", "rom.alarms"])
        yield running


def test_degraded_slice_latency_is_corrected_by_rom_and_the_alarm_clears(
    tmp_path: Path,
    broker: KafkaBroker,
    browser: Browser,  # noqa: F811
) -> None:
    port = free_port()
    keys = [  # access control on: the SLA monitor presents its own key (ROM_API_KEY)
        api_key("operator", OPERATOR_KEY, ["orders:read", "orders:write", "inventory:read"]),
        api_key("rom-sla", SLA_KEY, ["orders:read", "orders:write", "inventory:write"]),
        api_key("assurance", ASSURANCE_KEY, ["inventory:read", "inventory:write"]),
    ]
    env = {
        **os.environ,
        "ROM_VAR_DIR": str(tmp_path),
        "ROM_API_URL": f"http://127.0.0.1:{port}",
        "ROM_API_KEYS": json.dumps(keys),
        "ROM_API_KEY": SLA_KEY,
        "ROM_KAFKA_BOOTSTRAP": broker.bootstrap,
        "ROM_RECONCILE_INTERVAL": "0",  # keep the run to the SLA loop
        "ROM_CONSOLE_SLA_RULES": str(tmp_path / "rules.yaml"),  # the console's charts draw its threshold
    }
    env.pop("ROM_DATABASE_URL", None)
    with running_lab(env, TOPOLOGY), serving(env, tmp_path / "serve.log", port) as api:
        api.headers["Authorization"] = f"Bearer {OPERATOR_KEY}"
        lab_dir = tmp_path / "lab" / "rom-5g-slice"
        gnb = next(d for d in read_endpoints(lab_dir) if d["name"] == "gnb1")
        control = read_control_url(lab_dir)
        assert control is not None

        order = run_order(api, SLICE)
        assert order["state"] == "completed", order.get("note")
        ran = next(i["resource"]["id"] for i in order["orderItem"] if i["id"] == "ran")
        assert rrm_policy(gnb["host"], gnb["gnmi_port"], "urllc-1")["rRMPolicyMaxRatio"] == 60

        rules = [
            {
                "name": "urllc-latency",
                "metric": "kpis/slice/latency",
                "op": ">",
                "threshold": THRESHOLD_MS,
                "for": 1,
                "clear_for": 2,
                "resource": ran,
                "tags": {"slice_sst": "2", "slice_sd": "00A0B1"},
                "corrective_order": {
                    "orderItem": [
                        {
                            "id": "more-prbs",
                            "action": "modify",
                            "resourceSpecification": {"id": "slice-ran"},
                            "resource": {
                                "id": "{resource}",
                                "resourceCharacteristic": [{"name": "maxRatio", "value": 100}],
                            },
                        }
                    ]
                },
            }
        ]
        (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rules))
        telemetry_log = open(tmp_path / "telemetry.log", "wb")  # noqa: SIM115 - closed below
        runner = subprocess.Popen(
            [
                sys.executable, "-m", "cli", "telemetry", "run", "--rules", str(tmp_path / "rules.yaml"),
                "--sample-interval", "0.5", "--inventory-interval", "2", "--metrics-port", "0",
            ],
            env=env, cwd=REPO, stdout=telemetry_log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        kpis = Tail(env, "telemetry", "--device", "gnb1")
        alarms = Tail(env, "alarms")
        try:
            console = browser.new_context(base_url=str(api.base_url), viewport=VIEWPORT).new_page()
            # the operator's browser, open all along (logging in while the collector starts)
            log_in(console, OPERATOR_KEY, "/console/slices")
            ran_status = console.locator(f'table.slices tr[data-resource="{ran}"] .state')
            expect(ran_status).to_have_text("available")
            healthy = kpis.wait(lambda e: latency_of(e, ran) is not None, "slice latency telemetry")
            assert latency_of(healthy, ran) == pytest.approx(2.0), "the slice is congested before the fault"
            fault = {"kind": "load", "device": "gnb1", "slice": "2-00A0B1", "load": 6}
            httpx.post(f"{control}/faults", json=fault, timeout=30).raise_for_status()

            raised = alarms.wait(lambda a: a["state"] == "raised", "alarm raised")
            assert raised["resource"] == ran and raised["value"] > THRESHOLD_MS
            cell_slice = {"ManagedElement_id": "gnb1", "GNBDUFunction_id": "1", "NRCellDU_id": "1"}
            cell_slice |= {"slice_sst": "2", "slice_sd": "00A0B1"}
            assert raised["keys"] == cell_slice
            assert api.get(f"{RESOURCES}/{ran}").json()["resourceStatus"] == "alarm"
            console.reload()
            expect(ran_status).to_have_text("alarm")  # the operator sees it raised
            # TMF642: the assurance system sees the alarm on the RAN resource and acknowledges it
            on_ran = api.get(ALARMS, params={"alarmedObject.id": ran}).json()
            assert [(a["state"], a["externalAlarmId"]) for a in on_ran] == [("raised", raised["alarmId"])]
            assurance = {"Authorization": f"Bearer {ASSURANCE_KEY}"}
            ack = {"ackUserId": "noc", "alarmPattern": [{"id": on_ran[0]["id"]}]}
            acked = httpx.post(f"{api.base_url}{ALARM_API}/ackAlarms", json=ack, headers=assurance)
            assert acked.status_code == 201 and len(acked.json()["ackedAlarm"]) == 1, acked.text
            corrective = raised["correctiveOrder"]
            assert corrective["status"] == 201, corrective

            done = wait_order(api, corrective["id"], GUARD_S)
            submitter = next(p for p in done["relatedParty"] if p["role"] == "submitter")
            assert submitter["name"] == "rom-sla"
            assert done["state"] == "completed", done.get("note")
            assert [(i["action"], i["resource"]["id"]) for i in done["orderItem"]] == [("modify", ran)]
            policy = rrm_policy(gnb["host"], gnb["gnmi_port"], "urllc-1")
            assert (policy["rRMPolicyMaxRatio"], policy["rRMPolicyMinRatio"]) == (100, 20)
            chars = {
                c["name"]: c["value"] for c in api.get(f"{RESOURCES}/{ran}").json()["resourceCharacteristic"]
            }
            assert (chars["maxRatio"], chars["minRatio"]) == (100, 20)

            cleared = alarms.wait(lambda a: a["state"] == "cleared", "alarm cleared")
            assert cleared["alarmId"] == raised["alarmId"] and cleared["value"] <= THRESHOLD_MS
            assert api.get(f"{RESOURCES}/{ran}").json()["resourceStatus"] == "available"
            console.reload()
            expect(ran_status).to_have_text("available")  # ... and cleared
            history = console.locator(f'table.history tr[data-resource="{ran}"] .state')
            assert history.all_text_contents()[:2] == ["available", "alarm"]  # newest first
            chart = console.locator("svg.chart").filter(has_text="SLA rule urllc-latency: alarm when > 3")
            expect(chart.first).to_be_visible()
            expect(chart.locator("circle.over").first).to_be_attached()  # samples past the threshold
            if shots := os.environ.get("ROM_CONSOLE_SCREENSHOTS"):  # the docs' picture of the page
                console.screenshot(path=Path(shots) / "slices.png", full_page=True)
            seen = api.get(f"{ALARMS}/{on_ran[0]['id']}").json()
            assert (seen["state"], seen["ackState"], seen["perceivedSeverity"]) == (
                "cleared",
                "acknowledged",
                "cleared",
            )
            assert seen["alarmClearedTime"] == cleared["clearedTime"]
            faults = httpx.get(f"{control}/faults", timeout=30).json()["faults"]
            assert [f["kind"] for f in faults] == ["load"], "the fault must still be there"
            orders = api.get(ORDERS).json()
            assert sorted(o["id"] for o in orders) == sorted([order["id"], done["id"]]), (
                "one corrective order"
            )
        finally:
            for tail in (kpis, alarms):
                tail.close()
            runner.terminate()
            runner.wait(30)
            telemetry_log.close()

    degraded = [v for e in kpis.messages if (v := latency_of(e, ran)) is not None and v > THRESHOLD_MS]
    assert degraded, "the fault never showed in the slice latency"
    assert len([a for a in alarms.messages if a["state"] == "raised"]) == 1
