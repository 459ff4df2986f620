"""Fault drill: `rom serve` is killed with SIGKILL at random points while 50 orders run.

Afterwards no order is lost, none ran twice, and every device holds exactly the configuration of
the orders that completed (and none of those that failed).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree

from lab.support import free_port, netconf_connect, running_lab, start_serve, wait_healthy
from tests.e2e.conftest import TOPOLOGY

pytestmark = pytest.mark.e2e
ORDERS = "/tmf-api/resourceOrderingManagement/v4/resourceOrder"
RESOURCES = "/tmf-api/resourceInventoryManagement/v4/resource"
NI = "http://openconfig.net/yang/network-instance"
COUNT, KILLS = 50, 8


class Rom:
    def __init__(self, var_dir: Path) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            "ROM_VAR_DIR": str(var_dir),
            "ROM_LEASE_SECONDS": "1.5",
            "ROM_CONFIRM_TIMEOUT": "60",
            "ROM_ORDER_THREADS": "3",
        }
        self.env.pop("ROM_DATABASE_URL", None)
        self.log = open(var_dir / "serve.log", "ab")  # noqa: SIM115
        self.proc: subprocess.Popen[bytes] | None = None
        self.api = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30)

    def start(self) -> None:
        self.proc = start_serve(self.env, self.port, self.log)
        wait_healthy(self.api, self.proc)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


@pytest.fixture
def rom(tmp_path: Path) -> Iterator[Rom]:
    env = {**os.environ, "ROM_VAR_DIR": str(tmp_path)}
    with running_lab(env, TOPOLOGY):
        rom = Rom(tmp_path)
        rom.start()
        try:
            yield rom
        finally:
            if rom.proc and rom.proc.poll() is None:
                rom.proc.terminate()
                rom.proc.wait(30)
            rom.api.close()
            rom.log.close()


def body(i: int) -> dict[str, Any]:
    devices = [("pe1",), ("pe2",), ("pe1", "pe2")][i % 3]
    items = []
    for n, device in enumerate(devices, start=1):
        values = {
            "device": device,
            "vrfName": f"K{i}",
            "routeDistinguisher": f"65001:{i}",
            "interface": "Ethernet3",
            "vlanId": 1000 + i,
            "ipv4Address": f"10.99.{i}.{n}",
            "prefixLength": 30,
        }
        items.append(
            {
                "id": str(n),
                "action": "add",
                "resourceSpecification": {"id": "l3vpn-endpoint"},
                "resource": {"resourceCharacteristic": [{"name": k, "value": v} for k, v in values.items()]},
            }
        )
    return {"externalId": f"drill-{i}", "orderItem": items}


def vrfs(endpoints: dict[str, dict[str, Any]], device: str) -> set[str]:
    ep = endpoints[device]
    with netconf_connect(ep["host"], ep["netconf_port"]) as m:
        data = etree.fromstring(m.get_config(source="running").data_xml.encode())
    return {str(n) for n in data.xpath("//ni:network-instance/ni:name/text()", namespaces={"ni": NI})}


def test_sigkill_at_random_points_loses_and_duplicates_nothing(rom: Rom, tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("ROM_DRILL_SEED", "652")))
    submitted: dict[int, str] = {}
    for i in range(COUNT):
        response = rom.api.post(ORDERS, json=body(i))
        assert response.status_code == 201, response.text
        submitted[i] = response.json()["id"]
    for _ in range(KILLS):
        time.sleep(rng.uniform(0.02, 0.3))
        rom.kill()
        rom.start()
        # A replay after the crash must not create a second order.
        i = rng.randrange(COUNT)
        assert rom.api.post(ORDERS, json=body(i)).json()["id"] == submitted[i]

    deadline = time.monotonic() + 180
    states: dict[str, str] = {}
    while time.monotonic() < deadline:
        listed = rom.api.get(ORDERS, params={"limit": 1000, "fields": "state"}).json()
        states = {d["id"]: d["state"] for d in listed}
        if all(s in {"completed", "failed"} for s in states.values()):
            break
        time.sleep(0.2)
    assert sorted(states) == sorted(submitted.values()), "an order was lost or created twice"
    assert all(s in {"completed", "failed"} for s in states.values()), states

    of_spec = {"limit": 1000, "resourceSpecification.id": "l3vpn-endpoint"}  # not the devices
    resources = rom.api.get(RESOURCES, params=of_spec).json()
    per_order: dict[str, int] = {}
    for r in resources:
        order_id = r["note"][0]["text"].split()[3]
        per_order[order_id] = per_order.get(order_id, 0) + 1
    endpoints = {
        d["name"]: d
        for d in json.loads((tmp_path / "lab" / "rom-l3vpn" / "endpoints.json").read_text())["devices"]
    }
    on_device = {d: vrfs(endpoints, d) for d in ("pe1", "pe2")}
    for i, order_id in submitted.items():
        expected_devices = [("pe1",), ("pe2",), ("pe1", "pe2")][i % 3]
        if states[order_id] == "completed":
            assert per_order.get(order_id) == len(expected_devices), f"order {i} resources"
            assert all(f"K{i}" in on_device[d] for d in expected_devices), f"order {i} missing on a device"
        else:
            assert order_id not in per_order
            assert all(f"K{i}" not in on_device[d] for d in ("pe1", "pe2")), f"failed order {i} left config"
    completed = sum(1 for s in states.values() if s == "completed")
    assert completed >= COUNT // 2, f"only {completed} of {COUNT} orders completed"
    recovered = (tmp_path / "serve.log").read_text(errors="replace").count("its worker stopped; recovering")
    print(f"drill: {completed}/{COUNT} completed, {recovered} orders recovered after {KILLS} kills")
    assert recovered >= 1, "no kill landed while an order was in flight: the drill proved nothing"
