"""containerlab topologies run locally: simulator nodes become one fleet process on loopback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from core.errors import InvalidRequest, RomError
from core.secrets import REFERENCE
from drivers.host_keys import known_hosts_line, record
from inventory.context import Context
from inventory.records import Device, upsert_device

SIM_MODEL_LABEL = "rom.sim/model"
ROLE_LABEL = "rom.role"
CREDENTIALS_LABEL = "rom.credentials"  # a reference (core/secrets.py), never a password


@dataclass(frozen=True)
class LabNode:
    name: str
    kind: str
    model: str | None
    role: str
    credentials: str = ""


@dataclass(frozen=True)
class Topology:
    name: str
    path: Path
    nodes: tuple[LabNode, ...]

    @property
    def simulated(self) -> list[LabNode]:
        return [n for n in self.nodes if n.model]


def load_topology(path: Path) -> Topology:
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidRequest(f"cannot read topology {path}: {exc}") from None
    if not isinstance(doc, dict) or "name" not in doc or "topology" not in doc:
        raise InvalidRequest(f"{path}: not a containerlab topology (needs 'name' and 'topology')")
    topo = doc["topology"] or {}
    defaults = topo.get("defaults") or {}
    nodes = []
    for name, node in (topo.get("nodes") or {}).items():
        node = node or {}
        labels = {**(defaults.get("labels") or {}), **(node.get("labels") or {})}
        kind = node.get("kind") or defaults.get("kind") or ""
        credentials = str(labels.get(CREDENTIALS_LABEL) or "")
        if credentials and not REFERENCE.match(credentials):
            raise InvalidRequest(f"{path}: node {name!r}: label {CREDENTIALS_LABEL} is not a reference name")
        nodes.append(
            LabNode(name, kind, labels.get(SIM_MODEL_LABEL), labels.get(ROLE_LABEL, ""), credentials)
        )
    return Topology(str(doc["name"]), path, tuple(nodes))


def state_dir(ctx: Context, topology: Topology) -> Path:
    return ctx.settings.var_dir / "lab" / topology.name


def _endpoints_file(directory: Path) -> dict[str, Any]:
    path = directory / "endpoints.json"
    try:
        body: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return body


def read_endpoints(directory: Path) -> list[dict[str, Any]]:
    """Devices of a running lab fleet (NETCONF/gNMI ports, platform), or [] if it is not running."""
    devices: list[dict[str, Any]] = _endpoints_file(directory).get("devices", [])
    return devices


def read_control_url(directory: Path) -> str | None:
    """The fleet's loopback control API (faults, links), or None if it is not running."""
    url = _endpoints_file(directory).get("control_url")
    return url if isinstance(url, str) else None


def running_pid(directory: Path) -> int | None:
    try:
        pid = int((directory / "fleet.pid").read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def lab_up(ctx: Context, topology: Topology, wait: float = 60.0) -> list[dict[str, Any]]:
    """Start the topology's simulator nodes (idempotent), record them in the inventory and their
    SSH host keys in ROM's known_hosts."""
    if not topology.simulated:
        raise InvalidRequest(f"{topology.path}: no node carries the label {SIM_MODEL_LABEL}")
    directory = state_dir(ctx, topology)
    directory.mkdir(parents=True, exist_ok=True)
    if running_pid(directory) is None:
        (directory / "endpoints.json").unlink(missing_ok=True)
        command = [
            sys.executable,
            "-m",
            "cli",
            "sims",
            "--topology",
            str(topology.path),
            "--state-dir",
            str(directory),
        ]
        with open(directory / "fleet.log", "ab") as log:
            proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        (directory / "fleet.pid").write_text(str(proc.pid))
        _wait_for_endpoints(directory, proc, wait)
    endpoints = read_endpoints(directory)
    trust_host_keys(ctx.settings.effective_known_hosts, endpoints)
    nodes = {n.name: n for n in topology.nodes}
    with ctx.transaction() as session:
        for ep in endpoints:
            node = nodes.get(ep["name"])
            device = Device(
                name=ep["name"],
                host=ep["host"],
                port=ep["netconf_port"],
                gnmi_port=ep.get("gnmi_port"),
                platform=ep["platform"],
                role=node.role if node else "",
                source=f"lab:{topology.name}",
                credentials=node.credentials if node else "",
            )
            upsert_device(session, device)
    return endpoints


def trust_host_keys(known_hosts: Path, endpoints: list[dict[str, Any]]) -> None:
    """Record the lab devices' SSH host keys (published by the fleet this process started) in
    `known_hosts`, replacing older entries for the same host and port."""
    lines = [
        known_hosts_line(ep["host"], ep["netconf_port"], ep["ssh_host_key"])
        for ep in endpoints
        if ep.get("ssh_host_key")
    ]
    record(known_hosts, lines, replace=True)


def _wait_for_endpoints(directory: Path, proc: subprocess.Popen[bytes], wait: float) -> None:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if (directory / "endpoints.json").exists():
            return
        if proc.poll() is not None:
            tail = (directory / "fleet.log").read_text(errors="replace").strip().splitlines()[-1:]
            raise RomError(f"simulator fleet exited with {proc.returncode}: {' '.join(tail)}")
        time.sleep(0.1)
    proc.terminate()
    raise RomError(f"simulator fleet did not come up within {wait:.0f} s (see {directory / 'fleet.log'})")


def lab_down(ctx: Context, topology: Topology, wait: float = 15.0) -> bool:
    """Stop the topology's fleet; False if it was not running."""
    directory = state_dir(ctx, topology)
    pid = running_pid(directory)
    (directory / "fleet.pid").unlink(missing_ok=True)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
    (directory / "endpoints.json").unlink(missing_ok=True)
    return True
