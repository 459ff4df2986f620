"""The simulators' CPU per order, two checkouts' fleets side by side, orders taking turns.

Run: .venv/bin/python -m bench.sims_order_cost --tree /tmp/main [--devices 100] [--orders 600]
     [--threads 4]

Two fleet processes serve `--devices` routers each: this checkout's `sims` and `--tree`'s. One
client (ROM's own NETCONF driver and KPI-baseline Subscribe, pooled sessions) sends each fleet
what an L3VPN order sends a device: lock; edit-config (the L3VPN endpoint of
`bench.fleet_transaction`, a VRF more each round) + get-config candidate + running in one flight;
confirmed commit + the read-back get-config in one flight; the KPI baseline's gNMI Subscribe
(STREAM, to its initial sync); confirming commit; unlock. `--threads` orders (on different
devices) at a time; such batches alternate between the fleets, so a load change on the machine
weighs on both alike. Prints each fleet's CPU ms per order (utime+stime from /proc, over each
block of 100 orders), and the medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench._harness import REPO, fleet, sim_targets
from bench.fleet_transaction import render
from drivers._preimage import touched_filter
from drivers.base import DeviceTarget
from drivers.netconf import NetconfDriver
from intent.catalog import Catalog
from lab.containerlab import trust_host_keys
from telemetry.baseline import KpiCheck, check_baselines

TICKS = os.sysconf("SC_CLK_TCK")


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


def order(driver: NetconfDriver, target: DeviceTarget, payload: str) -> None:
    read_back = touched_filter([payload])
    driver.stage(payload, read_diff=True)
    driver.diff()
    driver.commit(confirm_timeout=120, persist_id="bench", read_after=[read_back])
    driver.get_config(read_back)
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
    ap.add_argument("--threads", type=int, default=4, help="orders at a time (as ROM_ORDER_THREADS)")
    args = ap.parse_args()
    sides = {"this": REPO, "tree": args.tree.resolve()}
    with (
        ExitStack() as stack,
        tempfile.TemporaryDirectory(prefix="rom-bench-known-") as tmp,
        ThreadPoolExecutor(args.threads) as pool,
    ):
        known = Path(tmp) / "known_hosts"
        drivers: dict[str, list[tuple[NetconfDriver, DeviceTarget]]] = {}
        pids: dict[str, int] = {}
        payloads: dict[str, list[dict[str, str]]] = {}
        catalog = Catalog.load()
        for side, repo in sides.items():
            prefix = f"s{side}"
            endpoints: list[dict[str, Any]] = stack.enter_context(fleet(args.devices, prefix, repo=repo))
            pids[side] = fleet_pid(f"--prefix\x00{prefix}")
            trust_host_keys(known, endpoints)
            targets = sim_targets(endpoints, known)
            drivers[side] = [(NetconfDriver(t), t) for t in targets]
            rounds = -(-args.orders // args.devices)
            payloads[side] = [render(catalog, targets, n) for n in range(1, rounds + 1)]
            for d, _ in drivers[side]:
                d.open()
                stack.callback(d.close)
        print(f"# {args.devices} routers per fleet; this = {REPO}, tree = {args.tree}; CPU ms per order")
        print("| orders | this | tree | load average |\n|---|---:|---:|---|")
        blocks: dict[str, list[float]] = {side: [] for side in sides}
        for block in range(0, args.orders, 100):
            before = {side: cpu(pid) for side, pid in pids.items()}
            for start in range(block, min(block + 100, args.orders), args.threads):
                batch = range(start, min(start + args.threads, block + 100, args.orders))
                for side in sides:  # the same orders on each fleet in turn, `--threads` at a time
                    on, texts = drivers[side], payloads[side]

                    def run(i: int) -> None:
                        d, t = on[i % args.devices]  # noqa: B023
                        order(d, t, texts[i // args.devices][t.name])  # noqa: B023

                    list(pool.map(run, batch))
            for side, pid in pids.items():
                blocks[side].append((cpu(pid) - before[side]) * 1e3 / 100)
            load = " ".join(f"{x:.1f}" for x in os.getloadavg())
            print(
                f"| {block + 1}-{block + 100} | {blocks['this'][-1]:.2f} | "
                f"{blocks['tree'][-1]:.2f} | {load} |"
            )
        this, tree = statistics.median(blocks["this"]), statistics.median(blocks["tree"])
        print(f"| median | **{this:.2f}** | {tree:.2f} | this ÷ tree {this / tree:.2f} |")


if __name__ == "__main__":
    main()
