"""A real `rom serve` with `ROM_YANG_PATH` holding OpenConfig, 3GPP Release 17 and ROM's augment
modules: the 5G example order (RAN over gNMI, transport QoS over gNMI, core over NETCONF) passes
the YANG check at intake and before stage, and completes; afterwards every 5G device's running
datastore validates with yanglint."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree

from lab.support import REPO, netconf_connect, running_lab, serving
from tests.yanglint import PROJECT_YANG, REFERENCE, validate

pytestmark = pytest.mark.e2e
TOPOLOGY = REPO / "topologies" / "5g-slice.clab.yml"
ORDERS = "/tmf-api/resourceOrderingManagement/v4/resourceOrder"
SLICE: dict[str, Any] = json.loads((REPO / "docs" / "examples" / "5g-slice-order.json").read_text())


class Lab:
    def __init__(self, var_dir: Path, api: httpx.Client) -> None:
        self.api = api
        data = json.loads((var_dir / "lab" / "rom-5g-slice" / "endpoints.json").read_text())
        self.devices = {d["name"]: d for d in data["devices"]}

    def running(self, device: str) -> str:
        ep = self.devices[device]
        with netconf_connect(ep["host"], ep["netconf_port"]) as m:
            data = etree.fromstring(m.get_config(source="running").data_xml.encode())
        return "".join(etree.tostring(child, encoding="unicode") for child in data)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    var_dir = tmp_path_factory.mktemp("yang5g")
    env = {**os.environ, "ROM_VAR_DIR": str(var_dir)}
    env["ROM_YANG_PATH"] = os.pathsep.join(
        str(p) for p in (REFERENCE / "openconfig", REFERENCE / "3gpp", PROJECT_YANG)
    )
    env.pop("ROM_DATABASE_URL", None)
    with running_lab(env, TOPOLOGY), serving(env, var_dir / "serve.log") as api:
        yield Lab(var_dir, api)


def test_the_5g_example_completes_with_validation_on(lab: Lab) -> None:
    created = lab.api.post(ORDERS, json=SLICE)
    assert created.status_code == 201, created.text
    deadline = time.monotonic() + 60
    order: dict[str, Any] = {}
    while time.monotonic() < deadline:
        order = lab.api.get(f"{ORDERS}/{created.json()['id']}").json()
        if order["state"] in {"completed", "failed"}:
            break
        time.sleep(0.05)
    assert order.get("state") == "completed", order.get("note")
    for device in ("upf1", "smf1", "gnb1"):
        running = lab.running(device)
        assert validate(running, "xml", "3gpp", "config") == [], device
    assert "urllc-1" in lab.running("gnb1")
