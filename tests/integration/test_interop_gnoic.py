"""Interop seam: gnoic (an independent Go gNOI client, v0.2.1) runs `system ping` and
`system traceroute --ns` against a simulated PE, whose gNOI System service answers from the
fleet's network model. ``scripts/tools/gnoic.sh`` builds gnoic once (about a minute) and caches it;
the tests skip only when there is no Go toolchain (or no gnoic source snapshot beside the clone)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.support import REPO
from sims.fleet import FleetThread
from tests.integration.conftest import vpn_fleet

SCRIPT = REPO / "scripts" / "tools" / "gnoic.sh"
NO_GO, NO_SOURCE = 3, 4
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("go") is None, reason="Go is not installed: cannot build gnoic"),
]


@pytest.fixture(scope="module")
def gnoic() -> Path:
    proc = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=900, check=False)
    if proc.returncode in (NO_GO, NO_SOURCE):
        pytest.skip(f"gnoic cannot be built here: {proc.stderr.strip()[-300:]}")
    assert proc.returncode == 0, proc.stderr[-4000:]
    path = Path(proc.stdout.strip().splitlines()[-1])
    assert path.is_file()
    return path


@pytest.fixture(scope="module")
def fleet() -> Iterator[FleetThread]:
    with vpn_fleet() as running:
        yield running


def run(gnoic: Path, fleet: FleetThread, *args: str) -> subprocess.CompletedProcess[str]:
    base = [str(gnoic), "-a", f"127.0.0.1:{fleet.gnmi_port('pe1')}", "-u", "admin", "-p", "admin"]
    return subprocess.run(
        [*base, "--insecure", "--timeout", "10s", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_gnoic_ping_in_a_vrf(gnoic: Path, fleet: FleetThread) -> None:
    args = ["system", "ping", "--destination", "10.10.0.5", "--ns", "CUST-A", "--count", "3"]
    proc = run(gnoic, fleet, *args, "--interval", "1ms")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert [line for line in lines if line.startswith("64 bytes from 10.10.0.5")] == [
        f"64 bytes from 10.10.0.5: icmp_seq={n} ttl=62 time=200µs" for n in (1, 2, 3)
    ]
    assert "3 packets sent, 3 packets received, 0.00% packet loss" in lines


def test_gnoic_ping_wrong_vrf_loses_every_probe(gnoic: Path, fleet: FleetThread) -> None:
    args = ["system", "ping", "--destination", "10.10.0.5", "--ns", "CUST-Z", "--count", "2"]
    proc = run(gnoic, fleet, *args, "--interval", "1ms")
    assert proc.returncode == 0, proc.stderr
    assert "2 packets sent, 0 packets received, 100.00% packet loss" in proc.stdout, proc.stdout


def test_gnoic_traceroute_in_a_vrf(gnoic: Path, fleet: FleetThread) -> None:
    proc = run(gnoic, fleet, "system", "traceroute", "--destination", "10.10.0.5", "--ns", "CUST-A")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1:] == ["1 p1 (p1) 100µs", "2 pe2 (10.10.0.5) 200µs"], proc.stdout
