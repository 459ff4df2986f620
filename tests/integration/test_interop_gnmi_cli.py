"""Interop: OpenConfig's reference client gnmi_cli (Go, independent of ROM) against the simulator.

A second independent client beside gnmic (test_interop_gnmic.py).
It reads the password from a terminal, so each call runs on a pseudo-terminal.
"""

from __future__ import annotations

import os
import pty
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from sims.fleet import FleetThread, SimDeviceSpec

REPO = Path(__file__).resolve().parents[2]
PROMPTS = (b"username:", b"password:")


@pytest.fixture(scope="module")
def gnmi_cli() -> str:
    built = subprocess.run(
        ["bash", str(REPO / "scripts/tools/gnmi_cli.sh")], capture_output=True, text=True, timeout=600
    )
    if built.returncode == 3:
        pytest.skip("no Go toolchain to build gnmi_cli")
    assert built.returncode == 0, built.stderr
    return built.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def device() -> Iterator[FleetThread]:
    with FleetThread([SimDeviceSpec("r1")]) as fleet:
        yield fleet


def run(binary: str, fleet: FleetThread, *args: str, timeout: float = 20) -> str:
    """Run gnmi_cli with -with_user_pass on a pty, answering its prompts; returns its output."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [
            binary,
            "-a",
            f"127.0.0.1:{fleet.gnmi_port('r1')}",
            "-insecure",
            "-with_user_pass",
            "-logtostderr",
            *args,
        ],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        close_fds=True,
    )
    os.close(slave)
    output, answered = b"", 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break  # the child closed the terminal
            if not chunk:
                break
            output += chunk
            while answered < len(PROMPTS) and PROMPTS[answered] in output.lower():
                os.write(master, b"admin\n")  # the simulator's username, then its password
                answered += 1
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
    return output.decode(errors="replace")


def test_capabilities(gnmi_cli: str, device: FleetThread) -> None:
    out = run(gnmi_cli, device, "-capabilities")
    assert "gNMI_version" in out or "gnmi_version" in out, out
    assert "openconfig-interfaces" in out and "JSON_IETF" in out


def test_set_then_get_and_netconf_sees_it(gnmi_cli: str, device: FleetThread) -> None:
    set_req = (
        'update: <path: <elem: <name: "interfaces"> elem: <name: "interface" key: <key: "name" '
        'value: "Ethernet3">> elem: <name: "config"> elem: <name: "description">> '
        'val: <json_ietf_val: "\\"set by gnmi_cli\\"">>'
    )
    out = run(gnmi_cli, device, "-set", "-proto", set_req)
    assert "UPDATE" in out, out
    get_req = (
        'path: <elem: <name: "interfaces"> elem: <name: "interface" key: <key: "name" value: "Ethernet3">> '
        'elem: <name: "config"> elem: <name: "description">> encoding: JSON_IETF'
    )
    assert "set by gnmi_cli" in run(gnmi_cli, device, "-get", "-proto", get_req)
    running = device.call(lambda f: etree.tostring(f.device("r1").datastore.running).decode())
    assert "set by gnmi_cli" in running


def test_subscribe_once(gnmi_cli: str, device: FleetThread) -> None:
    out = run(
        gnmi_cli,
        device,
        "-q",
        "/interfaces/interface[name=Ethernet1]/state/oper-status",
        "-qt",
        "o",
        "-dt",
        "p",
    )
    assert "UP" in out, out
