"""Interop seam: gnmic (an independent Go gNMI client) against the simulator.

Runs when a gnmic binary exists: ``$ROM_GNMIC``, or the one ``scripts/tools/gnmic.sh`` caches under
``${ROM_TOOLS_DIR:-~/.cache/rom-tools}/bin`` (``tests/integration/test_tools_gnmic.py`` builds it).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from sims.fleet import FleetThread, SimDeviceSpec

IF = "http://openconfig.net/yang/interfaces"


def _gnmic() -> Path | None:
    tools = Path(os.environ.get("ROM_TOOLS_DIR", Path.home() / ".cache" / "rom-tools"))
    for candidate in (os.environ.get("ROM_GNMIC"), tools / "bin" / "gnmic"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


GNMIC = _gnmic()
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(GNMIC is None, reason="no gnmic binary (scripts/tools/gnmic.sh builds one)"),
]


@pytest.fixture
def fleet() -> Iterator[FleetThread]:
    with FleetThread([SimDeviceSpec("r1")]) as running:
        yield running


def gnmic(fleet: FleetThread, *args: str) -> str:
    base = [
        str(GNMIC),
        "-a",
        f"127.0.0.1:{fleet.gnmi_port('r1')}",
        "-u",
        "admin",
        "-p",
        "admin",
        "--insecure",
    ]
    proc = subprocess.run([*base, *args], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_capabilities(fleet: FleetThread) -> None:
    out = gnmic(fleet, "capabilities")
    assert "openconfig-interfaces" in out and "JSON_IETF" in out


def test_get_and_set_share_the_netconf_datastore(fleet: FleetThread) -> None:
    assert "Ethernet1" in gnmic(
        fleet, "get", "--encoding", "json_ietf", "--path", "/interfaces/interface[name=Ethernet1]/config"
    )
    path = "/interfaces/interface[name=Ethernet1]/config/mtu"
    gnmic(fleet, "set", "--encoding", "json_ietf", "--update-path", path, "--update-value", "9100")

    def mtu(f: object) -> list[str]:
        running = fleet.fleet.device("r1").datastore.running
        return [str(v) for v in running.xpath("//i:config/i:mtu/text()", namespaces={"i": IF})]

    assert fleet.call(mtu) == ["9100"]


def test_subscribe_once(fleet: FleetThread) -> None:
    out = gnmic(
        fleet, "subscribe", "--mode", "once", "--encoding", "json_ietf", "--path", "/system/config/hostname"
    )
    assert '"r1"' in out
