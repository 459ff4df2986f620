"""The seed's 5G slice order through the TMF652 API: RAN (gNMI), transport QoS (gNMI) and core (NETCONF),
read back with independent clients (pygnmi, ncclient); a RAN refusal rolls every device back."""

from __future__ import annotations

import copy
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree
from pygnmi.client import gNMIclient

from tests.support import REPO, netconf_connect, running_lab, serving

pytestmark = pytest.mark.e2e
TOPOLOGY = REPO / "topologies" / "5g-slice.clab.yml"
ORDERS = "/tmf-api/resourceOrderingManagement/v4/resourceOrder"
SLICE: dict[str, Any] = json.loads((REPO / "docs" / "examples" / "5g-slice-order.json").read_text())


class Slice:
    def __init__(self, var_dir: Path, api: httpx.Client) -> None:
        self.api = api
        data = json.loads((var_dir / "lab" / "rom-5g-slice" / "endpoints.json").read_text())
        self.devices = {d["name"]: d for d in data["devices"]}

    def netconf_running(self, device: str) -> bytes:
        ep = self.devices[device]
        with netconf_connect(ep["host"], ep["netconf_port"]) as m:
            return etree.tostring(etree.fromstring(m.get_config(source="running").data_xml.encode()))

    def gnmi_config(self, device: str) -> str:
        ep = self.devices[device]
        with gNMIclient(
            target=(ep["host"], ep["gnmi_port"]), username="admin", password="admin", insecure=True
        ) as gc:
            reply = gc.get(path=["/"], datatype="config", encoding="json_ietf")
        updates = [n.get("update") for n in reply.get("notification", [])]  # timestamps left out
        return json.dumps(updates, sort_keys=True)

    def run(self, body: dict[str, Any]) -> dict[str, Any]:
        created = self.api.post(ORDERS, json=body)
        assert created.status_code == 201, created.text
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            order: dict[str, Any] = self.api.get(f"{ORDERS}/{created.json()['id']}").json()
            if order["state"] in {"completed", "failed"}:
                return order
            time.sleep(0.05)
        raise AssertionError("slice order did not finish")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slice]:
    var_dir = tmp_path_factory.mktemp("slice")
    env = {**os.environ, "ROM_VAR_DIR": str(var_dir)}
    env.pop("ROM_DATABASE_URL", None)
    with running_lab(env, TOPOLOGY), serving(env, var_dir / "serve.log") as api:
        yield Slice(var_dir, api)


def test_slice_order_configures_ran_transport_and_core(lab: Slice) -> None:
    order = lab.run(SLICE)
    assert order["state"] == "completed", order.get("note")
    assert "urllc-1" in lab.gnmi_config("gnb1")
    assert "SLICE-URLLC" in lab.gnmi_config("pe1")
    for device in ("upf1", "smf1"):
        running = lab.netconf_running(device).decode()
        assert "factory.urllc" in running and "00A0B1" in running.upper()


def test_ran_refusal_rolls_back_every_protocol(lab: Slice) -> None:
    """A second slice whose dedicated PRB share would exceed 100 % on the cell: the gNB refuses."""
    before = {d: lab.netconf_running(d) for d in ("upf1", "smf1")} | {
        d: lab.gnmi_config(d).encode() for d in ("gnb1", "pe1")
    }
    body = copy.deepcopy(SLICE)
    values = {
        "sd": "00B0C1",
        "dnn": "factory.second",
        "policyId": "second",
        "queueName": "SLICE-SECOND",
        "dedicatedRatio": 90,
        "minRatio": 90,
        "maxRatio": 95,
    }
    for item in body["orderItem"]:
        for ch in item["resource"]["resourceCharacteristic"]:
            ch["value"] = values.get(ch["name"], ch["value"])
    order = lab.run(body)
    assert order["state"] == "failed"
    reasons = " ".join(n["text"] for n in order["note"] if n.get("author") == "ROM")
    assert "gnb1" in reasons
    after = {d: lab.netconf_running(d) for d in ("upf1", "smf1")} | {
        d: lab.gnmi_config(d).encode() for d in ("gnb1", "pe1")
    }
    assert after == before
