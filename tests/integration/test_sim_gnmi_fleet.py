"""gNMI in the fleet host: TLS and mutual TLS with the lab CA and certificates it keeps in its
state dir, endpoints.json fields, gNMI off, and a taken port refused rather than shared."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from pygnmi.client import gNMIclient

from drivers.base import DeviceTarget
from drivers.errors import TransportError
from drivers.registry import driver_for
from sims.fleet import Fleet, FleetThread, SimDeviceSpec, numbered_specs

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def _start(state_dir: Path, *extra: str) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "sims",
        "--count",
        "2",
        "--state-dir",
        str(state_dir),
        "--log-level",
        "WARNING",
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([*cmd, *extra], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _endpoints(state_dir: Path, proc: subprocess.Popen[bytes]) -> list[dict[str, object]]:
    path = state_dir / "endpoints.json"
    end = time.monotonic() + 60
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < end, "endpoints.json did not appear"
        time.sleep(0.05)
    devices: list[dict[str, object]] = json.loads(path.read_text())["devices"]
    return devices


def test_tls_fleet_generates_its_certificate_once_and_serves_pygnmi(tmp_path: Path) -> None:
    proc = _start(tmp_path, "--gnmi-tls")
    try:
        devices = _endpoints(tmp_path, proc)
        assert all(d["gnmi_tls"] is True and isinstance(d["gnmi_port"], int) for d in devices)
        cert = tmp_path / "gnmi.crt"
        for name in ("gnmi", "ca", "client"):
            assert (tmp_path / f"{name}.crt").exists() and (
                tmp_path / f"{name}.key"
            ).stat().st_mode & 0o077 == 0
        target = (str(devices[1]["host"]), int(devices[1]["gnmi_port"]))  # type: ignore[call-overload]
        for skip_verify in (True, False):
            with gNMIclient(
                target=target,
                username="admin",
                password="admin",
                path_cert=str(cert),  # pygnmi trusts it and takes the name to check from it
                skip_verify=skip_verify,
            ) as gc:
                got = gc.get(path=["/system/config/hostname"], encoding="json_ietf")
                assert got["notification"][0]["update"][0]["val"] == "r2"
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    first = cert.read_bytes()
    proc = _start(tmp_path, "--gnmi-tls")
    try:
        _endpoints(tmp_path, proc)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert cert.read_bytes() == first


def test_mtls_fleet_wants_a_client_certificate_of_its_ca(tmp_path: Path) -> None:
    proc = _start(tmp_path, "--gnmi-mtls")
    try:
        ep = _endpoints(tmp_path, proc)[0]
        base = DeviceTarget(
            "r1", "127.0.0.1", 0, "rom-router", "admin", "admin", 5, gnmi_port=int(str(ep["gnmi_port"]))
        )
        ca, cert, key = (str(tmp_path / name) for name in ("ca.crt", "client.crt", "client.key"))
        with pytest.raises(TransportError, match="no client certificate"):
            driver_for(replace(base, gnmi_tls_ca=ca), protocol="gnmi").open()
        driver = driver_for(
            replace(base, gnmi_tls_ca=ca, gnmi_tls_cert=cert, gnmi_tls_key=key), protocol="gnmi"
        )
        driver.open()
        assert json.loads(driver.get_config("/system/config/hostname")) == {"/system/config/hostname": "r1"}
        driver.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err


def test_insecure_by_default_and_gnmi_can_be_off() -> None:
    with FleetThread(numbered_specs(2)) as fleet:
        endpoints = fleet.endpoints
        assert all(e.gnmi_port and not e.gnmi_tls for e in endpoints)
        assert len({e.gnmi_port for e in endpoints} | {e.netconf_port for e in endpoints}) == 4
    with FleetThread(numbered_specs(1), gnmi=False) as fleet:
        assert fleet.endpoint("r1").gnmi_port is None
        with pytest.raises(KeyError):
            fleet.gnmi_port("r1")


def test_a_taken_gnmi_port_fails_the_start() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError):
            FleetThread([SimDeviceSpec("r1", gnmi_port=port)]).start()
    assert Fleet([SimDeviceSpec("r1", gnmi_port=port)]).endpoint("r1").gnmi_port == port
