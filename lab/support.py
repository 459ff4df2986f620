"""Small helpers shared by the test suites and the benchmarks."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx
from ncclient import manager

from drivers.base import DeviceTarget
from drivers.host_keys import known_hosts_line, record
from sims.fleet import FleetThread

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_serve(
    env: dict[str, str], port: int, log: IO[bytes], repo: Path = REPO, module: str = "cli"
) -> subprocess.Popen[bytes]:
    """`rom serve` as a separate process (`repo`/`module`: another checkout's, for benchmarks);
    wait with `wait_healthy`."""
    return subprocess.Popen(
        [sys.executable, "-m", module, "serve", "--port", str(port)],
        env=env,
        cwd=repo,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_healthy(
    client: httpx.Client, server: subprocess.Popen[bytes] | None = None, timeout: float = 60
) -> None:
    """Until `/health` answers 200; fails early if the server process exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server is None or server.poll() is None, "rom serve exited"
        try:
            if client.get("/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError("rom serve did not become healthy")


_KNOWN_HOSTS_DIR = tempfile.TemporaryDirectory(prefix="rom-test-known-hosts-")


def trust_fleet(fleet: FleetThread, known_hosts: Path | None = None) -> str:
    """Record `fleet`'s SSH host keys in `known_hosts` (default: one file for the test run), as
    `rom lab up` does for a lab; returns the file for `DeviceTarget.known_hosts`."""
    path = known_hosts or Path(_KNOWN_HOSTS_DIR.name) / "known_hosts"
    lines = [
        known_hosts_line(ep.host, ep.netconf_port, ep.ssh_host_key)
        for ep in fleet.endpoints
        if ep.ssh_host_key
    ]
    record(path, lines, replace=True)
    return str(path)


def fleet_target(
    fleet: FleetThread,
    name: str,
    timeout: float = 10,
    *,
    platform: str | None = None,
    gnmi: bool = False,
    known_hosts: str | None = None,
) -> DeviceTarget:
    """How a driver reaches device `name` of an in-process fleet: the lab credentials, its host key
    trusted (`known_hosts`: a file `trust_fleet` already wrote), its gNMI port if `gnmi`."""
    ep = fleet.endpoint(name)
    return DeviceTarget(
        name,
        ep.host,
        ep.netconf_port,
        platform or ep.platform,
        "admin",
        "admin",
        timeout,
        gnmi_port=ep.gnmi_port if gnmi else None,
        known_hosts=known_hosts or trust_fleet(fleet),
    )


def netconf_connect(
    host: str,
    port: int,
    username: str | None = "admin",
    password: str | None = "admin",
    timeout: float = 30,
    **extra: Any,
) -> manager.Manager:
    """A stock ncclient session (host key not checked, no agent or key files): the independent client
    tests and benchmarks compare ROM with. Defaults are the simulators' credentials."""
    return manager.connect(
        host=host,
        port=port,
        username=username,
        password=password,
        hostkey_verify=False,
        allow_agent=False,
        look_for_keys=False,
        timeout=timeout,
        **extra,
    )


@contextmanager
def running_lab(env: dict[str, str], topology: Path) -> Iterator[None]:
    """`rom lab up TOPOLOGY` for the block (simulators as a separate process), `rom lab down` after."""
    rom = [sys.executable, "-m", "cli", "lab"]
    up = subprocess.run(
        [*rom, "up", str(topology)], env=env, cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert up.returncode == 0, up.stderr
    try:
        yield
    finally:
        subprocess.run([*rom, "down", str(topology)], env=env, cwd=REPO, capture_output=True, timeout=60)


@contextmanager
def serving(
    env: dict[str, str],
    log_path: Path,
    port: int | None = None,
    repo: Path = REPO,
    module: str = "cli",
    timeout: float = 30,
) -> Iterator[httpx.Client]:
    """`rom serve` as a separate process for the block; yields an HTTP client for it once healthy."""
    port = port or free_port()
    with open(log_path, "ab") as log:
        server = start_serve(env, port, log, repo, module)
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=timeout)
        try:
            wait_healthy(client, server)
            yield client
        finally:
            client.close()
            server.terminate()
            server.wait(30)


ORDERS_PATH = "/tmf-api/resourceOrderingManagement/v4/resourceOrder"
FINAL_STATES = frozenset({"completed", "failed"})


def wait_order(
    client: httpx.Client, order_id: str, timeout: float = 120, states: Collection[str] = FINAL_STATES
) -> dict[str, Any]:
    """Poll a TMF652 order (through `rom serve` or a TestClient) until it reaches one of `states`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        doc: dict[str, Any] = client.get(f"{ORDERS_PATH}/{order_id}").json()
        if doc["state"] in states:
            return doc
        time.sleep(0.05)
    raise AssertionError(f"order {order_id} never reached {sorted(states)}")
