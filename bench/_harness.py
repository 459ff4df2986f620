"""Processes for benchmarks: a simulator fleet and `rom serve`, started and stopped cleanly."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from drivers.base import DeviceTarget
from lab.containerlab import trust_host_keys
from lab.support import REPO, free_port, serving


def summary(samples: Sequence[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50": statistics.median(ordered),
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "mean": statistics.fmean(ordered),
    }


@contextmanager
def fleet(
    count: int = 0, prefix: str = "r", topology: Path | None = None, repo: Path = REPO
) -> Iterator[list[dict[str, Any]]]:
    """A simulator fleet in its own process: `count` routers, or a containerlab topology's nodes;
    `repo`: the checkout whose `sims` runs (e.g. main's, to compare simulators)."""
    what = ["--topology", str(topology)] if topology else ["--count", str(count), "--prefix", prefix]
    with tempfile.TemporaryDirectory(prefix="rom-bench-fleet-") as state:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sims", *what, "--state-dir", state, "--log-level", "WARNING"],
            cwd=repo,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        path = Path(state) / "endpoints.json"
        deadline = time.monotonic() + 120
        while not path.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("simulator fleet did not start")
            time.sleep(0.05)
        try:
            yield json.loads(path.read_text())["devices"]
        finally:
            proc.terminate()
            proc.wait(30)


@contextmanager
def rom_serve(
    endpoints: list[dict[str, Any]],
    database_url: str = "",
    repo: Path = REPO,
    module: str = "cli",
    **env: str,
) -> Iterator[httpx.Client]:
    """`rom serve` on the fleet's inventory; `repo`/`module`: another checkout's ROM (a peer)."""
    with (
        rom_var(endpoints, database_url, repo, module, **env) as (var, environ),
        serving(environ, var / "serve.log", repo=repo, module=module, timeout=60) as client,
    ):
        yield client


@contextmanager
def rom_serves(
    endpoints: list[dict[str, Any]], database_url: str, count: int, **env: str
) -> Iterator[tuple[httpx.Client, list[int]]]:
    """`count` `rom serve --reuse-port` processes of this checkout on one port and one database (the
    kernel spreads connections over them); yields a client and their pids."""
    with rom_var(endpoints, database_url, REPO, "cli", **env) as (var, environ):
        port = str(free_port())
        logs = [var / f"serve-{n}.log" for n in range(count)]
        servers = [
            subprocess.Popen(
                [sys.executable, "-m", "cli", "serve", "--port", port, "--reuse-port"],
                env=environ,
                cwd=REPO,
                stdout=log.open("wb"),
                stderr=subprocess.STDOUT,
            )
            for log in logs
        ]
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
        try:
            deadline = time.monotonic() + 120
            while not all("startup complete" in log.read_text() for log in logs):
                if any(s.poll() is not None for s in servers) or time.monotonic() > deadline:
                    raise RuntimeError(f"rom serve --reuse-port did not start: see {var}")
                time.sleep(0.2)
            yield client, [s.pid for s in servers]
        finally:
            client.close()
            for server in servers:
                server.terminate()
            for server in servers:
                server.wait(30)


@contextmanager
def rom_var(
    endpoints: list[dict[str, Any]], database_url: str, repo: Path, module: str, **env: str
) -> Iterator[tuple[Path, dict[str, str]]]:
    """A state directory and environment for `rom serve` with the fleet's inventory imported."""
    with tempfile.TemporaryDirectory(prefix="rom-bench-var-") as var:
        environ = {**os.environ, "ROM_VAR_DIR": var, "ROM_DATABASE_URL": database_url, **env}
        endpoints_file = Path(var) / "endpoints.json"
        endpoints_file.write_text(json.dumps({"devices": endpoints}))
        trust_host_keys(Path(var) / "known_hosts", endpoints)  # as `rom lab up` does
        subprocess.run(
            [sys.executable, "-m", module, "inventory", "import", str(endpoints_file)],
            env=environ,
            cwd=repo,
            check=True,
            capture_output=True,
        )
        yield Path(var), environ


def l3vpn_order(devices: Sequence[str], n: int, interface: str = "Ethernet2") -> dict[str, Any]:
    items = []
    for i, device in enumerate(devices, start=1):
        values = {
            "device": device,
            "vrfName": f"B{n}",
            "routeDistinguisher": f"65100:{n}",
            "interface": interface,
            "vlanId": 1 + n % 4094,
            "ipv4Address": f"10.{n // 250 % 250}.{n % 250}.{i * 4 + 1}",
            "prefixLength": 30,
        }
        items.append(
            {
                "id": str(i),
                "action": "add",
                "resourceSpecification": {"id": "l3vpn-endpoint"},
                "resource": {"resourceCharacteristic": [{"name": k, "value": v} for k, v in values.items()]},
            }
        )
    return {"orderItem": items}


def slice_order(n: int, n3: bool = True) -> dict[str, Any]:
    """The seed's 5G slice (RAN over gNMI, transport QoS over gNMI, core over NETCONF), made unique by `n`.
    Without `n3`, the core item leaves out the N3 probe's ends (a checkout before that check)."""
    values = {
        "sd": f"{n:06X}",
        "dnn": f"s{n}.bench",
        "policyId": f"p{n}",
        "queueName": f"Q{n}",
        "dedicatedRatio": 0,
        "minRatio": 0,
        "maxRatio": 10,
        "pduSessions": 10,  # the UPF's 10,000 sessions last for every order of a run
    }
    body: dict[str, Any] = json.loads((REPO / "docs" / "examples" / "5g-slice-order.json").read_text())
    for item in body["orderItem"]:
        chars = item["resource"]["resourceCharacteristic"]
        if not n3:
            chars[:] = [ch for ch in chars if ch["name"] not in ("gnbPeDevice", "upfN3Address")]
        for ch in chars:
            ch["value"] = values.get(ch["name"], ch["value"])
    return body


def replace_section(path: Path, heading: str, body: str) -> None:
    """Put `body` (which starts with `heading`) in place of that section of a Markdown results file,
    or append it; every other section is left as it is."""
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    start = text.find(heading)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + body
    else:
        end = text.find("\n## ", start + len(heading))
        text = text[:start] + body.rstrip("\n") + "\n" + ("" if end < 0 else text[end:])
    path.write_text(text.rstrip("\n") + "\n")


def sim_targets(endpoints: Sequence[dict[str, Any]], known_hosts: Path) -> list[DeviceTarget]:
    """The simulated fleet's devices as ROM's drivers reach them (NETCONF and gNMI, host keys
    checked against `known_hosts`)."""
    return [
        DeviceTarget(
            ep["name"],
            ep["host"],
            ep["netconf_port"],
            ep["platform"],
            "admin",
            "admin",
            gnmi_port=ep.get("gnmi_port"),
            known_hosts=str(known_hosts),
        )
        for ep in endpoints
    ]
