"""The simulators' CPU per order, two checkouts' fleets side by side, orders taking turns.

Run: .venv/bin/python -m bench.sims_order_cost --tree /tmp/main [--devices 20] [--orders 400]

Two fleet processes serve `--devices` routers each: this checkout's `sims` and `--tree`'s. One
client (ROM's own NETCONF driver and KPI-baseline Subscribe, pooled sessions) sends each fleet in
turn what an L3VPN order sends a device: lock, edit-config + get-config candidate + running (one
flight), confirmed commit + the read-back get-config (one flight), the KPI baseline's gNMI
Subscribe (STREAM, to its initial sync), confirming commit, unlock. Orders alternate between the
fleets one by one, so a load change on the machine weighs on both alike. Prints each fleet's CPU
ms per order (utime+stime from /proc, over each block of 100 orders of each), and the medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench._harness import REPO, fleet
from drivers.base import DeviceTarget
from drivers.netconf import NetconfDriver
from lab.containerlab import trust_host_keys
from telemetry.baseline import KpiCheck, check_baselines

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
IF = "http://openconfig.net/yang/interfaces"
NI = "http://openconfig.net/yang/network-instance"
READ_BACK = f'<filter xmlns="{NC}" type="subtree"><network-instances xmlns="{NI}"/></filter>'
TICKS = os.sysconf("SC_CLK_TCK")


def payload(n: int) -> str:
    """A VRF per order (the configuration grows as under the sustained bench)."""
    return (
        f'<config xmlns="{NC}"><network-instances xmlns="{NI}"><network-instance><name>vrf{n}</name>'
        f"<config><name>vrf{n}</name><type "
        'xmlns:oc-ni-types="http://openconfig.net/yang/network-instance-types">'
        "oc-ni-types:L3VRF</type></config></network-instance></network-instances></config>"
    )


def cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:13]) / TICKS


def fleet_pid(state_dir_hint: str) -> int:
    """The fleet process of this bench whose command line names its state directory."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes()
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if parent == os.getpid() and b"sims" in cmd and state_dir_hint.encode() in cmd:
                return int(entry.name)
    raise RuntimeError("fleet process not found")


def order(driver: NetconfDriver, target: DeviceTarget, n: int) -> None:
    driver.stage(payload(n), read_diff=True)
    driver.diff()
    driver.commit(confirm_timeout=120, persist_id="bench", read_after=[READ_BACK])
    driver.get_config(READ_BACK)
    check = KpiCheck("oper-up", "interfaces/interface[name=Ethernet2]/state/oper-status", equals="UP")
    problems = check_baselines([target], [check], window_s=0)
    if problems:
        raise SystemExit(f"KPI baseline: {problems}")
    driver.confirm(persist_id="bench")


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--tree", type=Path, required=True, help="the other checkout (e.g. main's)")
    ap.add_argument("--devices", type=int, default=20)
    ap.add_argument("--orders", type=int, default=400, help="orders per fleet")
    args = ap.parse_args()
    sides = {"this": REPO, "tree": args.tree.resolve()}
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="rom-bench-known-") as tmp:
        known = Path(tmp) / "known_hosts"
        drivers: dict[str, list[tuple[NetconfDriver, DeviceTarget]]] = {}
        pids: dict[str, int] = {}
        for side, repo in sides.items():
            prefix = f"s{side}"
            endpoints: list[dict[str, Any]] = stack.enter_context(fleet(args.devices, prefix, repo=repo))
            pids[side] = fleet_pid(f"--prefix\x00{prefix}")
            trust_host_keys(known, endpoints)
            targets = [
                DeviceTarget(
                    ep["name"], ep["host"], ep["netconf_port"], ep["platform"], "admin", "admin",
                    known_hosts=str(known), gnmi_port=ep["gnmi_port"],
                )
                for ep in endpoints
            ]
            drivers[side] = [(NetconfDriver(t), t) for t in targets]
            for d, _ in drivers[side]:
                d.open()
                stack.callback(d.close)
        print(f"# {args.devices} routers per fleet; this = {REPO}, tree = {args.tree}; CPU ms per order")
        print("| orders | this | tree | load average |\n|---|---:|---:|---|")
        blocks: dict[str, list[float]] = {side: [] for side in sides}
        for block in range(0, args.orders, 100):
            before = {side: cpu(pid) for side, pid in pids.items()}
            for i in range(block, min(block + 100, args.orders)):
                for side in sides:
                    d, t = drivers[side][i % args.devices]
                    order(d, t, i)
            for side, pid in pids.items():
                blocks[side].append((cpu(pid) - before[side]) * 1e3 / 100)
            load = " ".join(f"{x:.1f}" for x in os.getloadavg())
            print(f"| {block + 1}–{block + 100} | {blocks['this'][-1]:.2f} | {blocks['tree'][-1]:.2f} | {load} |")
        this, tree = statistics.median(blocks["this"]), statistics.median(blocks["tree"])
        print(f"| median | **{this:.2f}** | {tree:.2f} | this ÷ tree {this / tree:.2f} |")


if __name__ == "__main__":
    main()
