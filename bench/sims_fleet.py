"""Simulator fleet benchmark (issue 3): bring-up time and peak RSS of N devices in one fleet host,
and per-RPC latency against a device of that fleet.

    .venv/bin/python bench/sims_fleet.py [--count 1000] [--runs 3] [--stock 20] [--rom 300] [--gnmi 300]
                                         [--write bench/RESULTS.md]

Bring-up: `python -m sims --count N` as a subprocess (NETCONF only with --no-gnmi, then
NETCONF+gNMI); the time is from spawning the process until endpoints.json exists (every listener,
and the control API, is up by then); peak RSS is VmHWM of /proc/<pid>/status at that moment and
again after the RPC measurements. Latency, against r1 of the NETCONF+gNMI fleet: edit-config +
commit on an open session with stock ncclient (`manager.connect`) and with ROM's session
(`drivers._ncclient_session.connect_ssh`), and gNMI Get / Set with pygnmi. Prints a Markdown table;
--write puts it, with the command and the machine, into the "Simulator fleet (issue 3)" section.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ncclient import manager
from pygnmi.client import gNMIclient

from bench._harness import replace_section
from drivers._ncclient_session import connect_ssh
from lab.backends import oc_subif_payload

REPO = Path(__file__).resolve().parents[1]
SECTION = "## Simulator fleet (issue 3)"
GOAL_S = 10.0
GOAL_MIB = 1024.0
MTU = "/interfaces/interface[name=Ethernet1]/config/mtu"


def vm_hwm_mib(pid: int) -> float:
    """Peak resident set size of a process (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for pid {pid}")


@contextmanager
def fleet_process(
    count: int, gnmi: bool, env: dict[str, str] | None = None
) -> Iterator[tuple[float, float, subprocess.Popen[bytes], list[Any]]]:
    """Start `python -m sims --count N`; yields (seconds to endpoints.json, VmHWM MiB, process, devices)."""
    with tempfile.TemporaryDirectory(prefix="rom-bench-sims-") as state:
        command = [sys.executable, "-m", "sims", "--count", str(count), "--state-dir", state]
        command += ["--log-level", "WARNING"] + ([] if gnmi else ["--no-gnmi"])
        path = Path(state) / "endpoints.json"
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        try:
            while not path.exists():
                if proc.poll() is not None:
                    raise RuntimeError(f"fleet exited: {proc.stderr.read().decode() if proc.stderr else ''}")
                if time.perf_counter() - started > 300:
                    raise RuntimeError("fleet did not come up within 300 s")
                time.sleep(0.005)
            elapsed = time.perf_counter() - started
            body = json.loads(path.read_text())
            assert len(body["devices"]) == count and body.get("control_url")
            yield elapsed, vm_hwm_mib(proc.pid), proc, body["devices"]
        finally:
            proc.terminate()
            proc.wait(60)


def timed(n: int, step: Callable[[int], object]) -> list[float]:
    step(0)  # warm-up
    samples = []
    for i in range(n):
        started = time.perf_counter()
        step(i + 1)
        samples.append(time.perf_counter() - started)
    return samples


def edit_commit(m: manager.Manager) -> Callable[[int], object]:
    def step(i: int) -> None:
        m.edit_config(config=oc_subif_payload(100, vlan=100 + i % 2), target="candidate")
        m.commit()

    return step


def netconf_kwargs(device: dict[str, Any]) -> dict[str, Any]:
    return {
        "host": device["host"],
        "port": device["netconf_port"],
        "username": "admin",
        "password": "admin",
        "hostkey_verify": False,
        "allow_agent": False,
        "look_for_keys": False,
        "timeout": 30,
    }


def latencies(device: dict[str, Any], n_stock: int, n_rom: int, n_gnmi: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    with manager.connect(**netconf_kwargs(device)) as m:
        out["stock"] = timed(n_stock, edit_commit(m))
    rom = connect_ssh(rpc_timeout=30, **netconf_kwargs(device))
    try:
        out["rom"] = timed(n_rom, edit_commit(rom))
    finally:
        rom.close_session()
    target = (device["host"], device["gnmi_port"])
    with gNMIclient(target=target, username="admin", password="admin", insecure=True) as gc:
        out["set"] = timed(n_gnmi, lambda i: gc.set(update=[(MTU, 1500 + i % 2)], encoding="json_ietf"))
        out["get"] = timed(n_gnmi, lambda i: gc.get(path=[MTU], datatype="config", encoding="json_ietf"))
    return out


def ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def row(*cells: object) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def run(args: argparse.Namespace) -> list[str]:
    rows = [
        row(f"measurement ({args.count} devices, one fleet host)", "n", "median", "goal / baseline", "ratio"),
        "|---|---:|---:|---:|---:|",
    ]
    lat: dict[str, list[float]] = {}
    after = 0.0
    for gnmi in (False, True):
        label = "NETCONF+gNMI" if gnmi else "NETCONF only"
        times, peaks = [], []
        for run_index in range(args.runs):
            with fleet_process(args.count, gnmi) as (elapsed, peak, proc, devices):
                times.append(elapsed)
                peaks.append(peak)
                if gnmi and run_index == args.runs - 1:
                    lat = latencies(devices[0], args.stock, args.rom, args.gnmi)
                    after = vm_hwm_mib(proc.pid)
        t, p = statistics.median(times), statistics.median(peaks)
        goal_s, goal_mib = f"≤ {GOAL_S:.0f} s", f"≤ {GOAL_MIB:.0f} MiB"
        rows.append(
            row(f"bring-up to endpoints.json, {label}", args.runs, f"{t:.2f} s", goal_s, f"{t / GOAL_S:.2f}")
        )
        rows.append(
            row(
                f"peak RSS at endpoints.json, {label}",
                args.runs,
                f"{p:.0f} MiB",
                goal_mib,
                f"{p / GOAL_MIB:.2f}",
            )
        )
    rows += cold_bring_up(args.count, goal_s, goal_mib)
    rows.append(
        row(
            "peak RSS after the latency runs, NETCONF+gNMI",
            1,
            f"{after:.0f} MiB",
            goal_mib,
            f"{after / GOAL_MIB:.2f}",
        )
    )
    base = ms(lat["stock"])
    for key, what in (
        ("stock", "edit-config + commit, stock ncclient `manager.connect`"),
        ("rom", "edit-config + commit, ROM session `connect_ssh`"),
        ("set", "gNMI Set (one leaf, a transaction), pygnmi"),
        ("get", "gNMI Get (one leaf), pygnmi"),
    ):
        median = ms(lat[key])
        rows.append(
            row(what, len(lat[key]), f"{median:.2f} ms", f"stock {base:.1f} ms", f"{base / median:.1f}x")
        )
    return rows


def cold_bring_up(count: int, goal_s: str, goal_mib: str) -> list[str]:
    """One NETCONF-only bring-up with an empty YANG cache: a first start, when yangson compiles."""
    with tempfile.TemporaryDirectory(prefix="rom-bench-yang-") as empty:
        env = {**os.environ, "SIM_YANG_CACHE": empty}
        with fleet_process(count, False, env) as (seconds, peak, _proc, _devices):
            return [
                row(
                    "bring-up, NETCONF only, empty YANG cache",
                    1,
                    f"{seconds:.2f} s",
                    goal_s,
                    f"{seconds / GOAL_S:.2f}",
                ),
                row("peak RSS, empty YANG cache", 1, f"{peak:.0f} MiB", goal_mib, f"{peak / GOAL_MIB:.2f}"),
            ]


def write_section(path: Path, command: str, rows: list[str]) -> None:
    """Replace (or append) this benchmark's own section of RESULTS.md, leaving the others alone."""
    machine = f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}"
    section = "\n".join(
        [
            SECTION,
            "",
            f"Measured {date.today().isoformat()} on {machine}, 2 vCPU VM shared with other runs.",
            "",
            "```",
            command,
            "```",
            "",
            *rows,
            "",
            "Bring-up is timed from spawning `python -m sims --count N` to its endpoints.json (written",
            "once every NETCONF, gNMI and control listener is up); peak RSS is VmHWM; ratio = measured /",
            "goal. Latencies are on r1 of the NETCONF+gNMI fleet over an open session; ratio = stock",
            "ncclient median / this median (stock ncclient waits on its 100 ms poll tick twice per pair).",
            "The devices' schemas are derived from their YANG modules (issue 13): the timed bring-ups read",
            "them from the disk cache; the empty-cache row is a first start, when yangson compiles them.",
            "",
        ]
    )
    replace_section(path, SECTION, section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3, help="bring-ups per mode")
    parser.add_argument("--stock", type=int, default=20, help="edit+commit pairs with stock ncclient")
    parser.add_argument("--rom", type=int, default=300, help="edit+commit pairs with ROM's session")
    parser.add_argument("--gnmi", type=int, default=300, help="gNMI Gets and Sets each")
    parser.add_argument("--write", type=Path, help="update this RESULTS.md section")
    args = parser.parse_args()
    rows = run(args)
    print("\n".join(rows))
    if args.write is not None:
        write_section(
            args.write, ".venv/bin/python " + " ".join(["bench/sims_fleet.py", *sys.argv[1:]]), rows
        )


if __name__ == "__main__":
    main()
