"""The fleet host: ``python -m sims`` publishes endpoints.json, serves NETCONF, and cleans up on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncssh
import pytest

from lab.support import netconf_connect
from sims.fleet import Fleet, FleetThread, numbered_specs

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def _wait_for_file(path: Path, proc: subprocess.Popen[bytes], deadline_s: float = 60.0) -> None:
    end = time.monotonic() + deadline_s
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < end, "endpoints.json did not appear"
        time.sleep(0.05)


def test_run_fleet_publishes_endpoints_and_cleans_up(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [
        sys.executable,
        "-m",
        "sims",
        "--count",
        "3",
        "--state-dir",
        str(tmp_path),
        "--log-level",
        "WARNING",
    ]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    endpoints_file = tmp_path / "endpoints.json"
    try:
        _wait_for_file(endpoints_file, proc)
        body = json.loads(endpoints_file.read_text())
        devices = body["devices"]
        assert [d["name"] for d in devices] == ["r1", "r2", "r3"]
        assert set(devices[0]) == {
            "name",
            "model",
            "platform",
            "host",
            "netconf_port",
            "username",
            "gnmi_port",
            "gnmi_tls",
            "ssh_host_key",
        }
        assert devices[0]["platform"] == "rom-router"
        assert "password" not in endpoints_file.read_text()
        key_file = tmp_path / "ssh_host_key"
        assert key_file.exists() and (key_file.stat().st_mode & 0o077) == 0
        public = asyncssh.read_private_key(key_file).export_public_key().decode().strip()
        assert {d["ssh_host_key"] for d in devices} == {public}
        with netconf_connect(devices[2]["host"], devices[2]["netconf_port"]) as m:
            hostname = m.get_config("running").data_ele.xpath(
                "//s:hostname/text()", namespaces={"s": "http://openconfig.net/yang/system"}
            )
            assert hostname == ["r3"]
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert not endpoints_file.exists()


def test_fleet_thread_distinct_ports_and_shared_host_key() -> None:
    with FleetThread(numbered_specs(5)) as fleet:
        ports = [endpoint.netconf_port for endpoint in fleet.endpoints]
        assert len(set(ports)) == 5 and all(ports)
        assert fleet.call(lambda f: len(f.devices)) == 5


def test_duplicate_names_rejected() -> None:
    with pytest.raises(ValueError):
        Fleet(numbered_specs(2, prefix="x") + numbered_specs(1, prefix="x"))
