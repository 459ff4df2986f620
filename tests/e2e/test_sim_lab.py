"""`rom lab up` on the 5G slice lab: every simulator node with its model, the topology's links as the
network model (ping follows them), gNMI ports and the control API in `rom lab status`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree

from lab.support import netconf_connect
from sims.world import REACHABILITY_NS
from tests.e2e.conftest import REPO
from tests.unit.test_sim_network import l3vpn

pytestmark = pytest.mark.e2e
TOPOLOGY = REPO / "topologies" / "5g-slice.clab.yml"
MODELS = {
    "gnb1": "gnb",
    "pe1": "router",
    "p1": "router",
    "pe2": "router",
    "upf1": "upf",
    "smf1": "smf",
    "amf1": "amf",
}


class SliceLab:
    def __init__(self, var_dir: Path) -> None:
        self.var_dir = var_dir
        self.env = {**os.environ, "ROM_VAR_DIR": str(var_dir), "COLUMNS": "250"}
        self.env.pop("ROM_DATABASE_URL", None)
        self.up_output = ""

    def rom(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cli", *args],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )

    @property
    def endpoints(self) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(
            (self.var_dir / "lab" / "rom-5g-slice" / "endpoints.json").read_text()
        )
        return body

    def device(self, name: str) -> dict[str, Any]:
        return next(each for each in self.endpoints["devices"] if each["name"] == name)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SliceLab]:
    lab = SliceLab(tmp_path_factory.mktemp("rom-5g-var"))
    up = lab.rom("lab", "up", str(TOPOLOGY))
    assert up.returncode == 0, up.stderr
    lab.up_output = up.stdout
    try:
        yield lab
    finally:
        lab.rom("lab", "down", str(TOPOLOGY))


def _ping(name: str, lab: SliceLab, destination: str) -> tuple[bool, str]:
    op = etree.Element(f"{{{REACHABILITY_NS}}}ping", nsmap={None: REACHABILITY_NS})
    etree.SubElement(op, f"{{{REACHABILITY_NS}}}network-instance").text = "CUST-A"
    etree.SubElement(op, f"{{{REACHABILITY_NS}}}destination").text = destination
    device = lab.device(name)
    with netconf_connect(device["host"], device["netconf_port"]) as m:
        reply = etree.fromstring(m.dispatch(op).xml.encode())
    ns = {"r": REACHABILITY_NS}
    return reply.xpath("string(//r:success)", namespaces=ns) == "true", reply.xpath(
        "string(//r:reason)", namespaces=ns
    )


def test_lab_up_serves_every_simulator_node_with_its_model(lab: SliceLab) -> None:
    devices = {each["name"]: each for each in lab.endpoints["devices"]}
    assert {name: each["model"] for name, each in devices.items()} == MODELS
    assert devices["gnb1"]["platform"] == "rom-ran" and devices["upf1"]["platform"] == "rom-5gc"
    assert all(each["gnmi_port"] for each in devices.values())
    control_url = lab.endpoints["control_url"]
    assert control_url.startswith("http://127.0.0.1:") and control_url in lab.up_output
    listing = lab.rom("device", "list")
    assert listing.returncode == 0, listing.stderr
    for name in MODELS:
        row = next(line for line in listing.stdout.splitlines() if f" {name} " in line)
        port = devices[name]["netconf_port"]
        assert devices[name]["platform"] in row and f"127.0.0.1:{port}" in row and "lab:rom-5g-slice" in row


def test_lab_status_shows_gnmi_ports_and_the_control_url(lab: SliceLab) -> None:
    status = lab.rom("lab", "status", str(TOPOLOGY))
    assert status.returncode == 0, status.stderr
    assert "(running)" in status.stdout and lab.endpoints["control_url"] in status.stdout
    gnb = lab.device("gnb1")
    row = next(line for line in status.stdout.splitlines() if " gnb1 " in line)
    assert f"127.0.0.1:{gnb['netconf_port']}" in row and f"127.0.0.1:{gnb['gnmi_port']}" in row
    assert "not simulated locally" in next(line for line in status.stdout.splitlines() if " kafka " in line)


def test_reachability_follows_the_topology_links(lab: SliceLab) -> None:
    for name, address in (("pe1", "10.10.0.1"), ("pe2", "10.10.0.5")):
        device = lab.device(name)
        with netconf_connect(device["host"], device["netconf_port"]) as m:
            m.edit_config(target="candidate", config=l3vpn(address))
            m.commit()
    ok, reason = _ping("pe1", lab, "10.10.0.5")
    assert ok and reason == "reachable via pe1 > p1 > pe2", reason
    with httpx.Client(base_url=lab.endpoints["control_url"], timeout=30) as control:
        links = {each["id"] for each in control.get("/links").json()["links"]}
        assert links == {
            "gnb1:eth1--pe1:eth1",
            "pe1:eth2--p1:eth1",
            "p1:eth2--pe2:eth1",
            "pe2:eth2--upf1:eth1",
        }
        fault = control.post("/faults", json={"kind": "link-down", "link": "p1--pe2"})
        assert fault.status_code == 201, fault.text
        ok, reason = _ping("pe1", lab, "10.10.0.5")
        assert not ok and "p1:eth2--pe2:eth1" in reason
        assert control.delete(f"/faults/{fault.json()['id']}").status_code == 204
    assert _ping("pe1", lab, "10.10.0.5")[0]
