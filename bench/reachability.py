"""What the reachability post-checks add to an order: POST→completed p50 with and without them.

Run: .venv/bin/python -m bench.reachability [--quick] [--before REF]
A star of PE routers around one P router (a topology written for the run, so every pair has a
path); L3VPN orders over 2 PEs (2 probes: each endpoint to the other) and 3 PEs (6 probes), three
probes per pair, all pairs in parallel; plus 3 probes in parallel outside any order.

Two `rom serve` run at once on the one fleet, checks on and off, each on its own SQLite
database (four with ``--before REF``: that commit's ROM too, from a detached worktree), and take
their orders in turn (which goes first alternates by round). Every order thus meets the same
device configs: the simulators slow down as VRFs pile up on the PEs, so cells run one after the
other would charge the growth to whichever ran second. From each database's step log: the
post-check window, from the last commit phase to the `committed` step (read-back, KPI baseline and
probes, overlapped), the part of the order the probes can lengthen.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

import httpx
import yaml

from bench._harness import REPO, fleet, l3vpn_order, rom_serve, summary
from bench.order_path import ms, rom_latency
from bench.order_relayer import checkout
from drivers.base import DeviceTarget
from rom.reachability import Probe, run_probes

PES = ["pe1", "pe2", "pe3"]
CELLS = {"off": "false", "on": "true"}


def star_topology(path: Path) -> Path:
    nodes = {name: {"labels": {"rom.sim/model": "router"}} for name in ["p1", *PES]}
    links = [{"endpoints": [f"{pe}:eth1", f"p1:eth{i}"]} for i, pe in enumerate(PES, start=1)]
    path.write_text(yaml.safe_dump({"name": "rom-bench-star", "topology": {"nodes": nodes, "links": links}}))
    return path


def probes_alone(endpoints: list[dict[str, object]], n: int) -> list[float]:
    """3 probes (pe1, pe2, pe3 to an address of the last order's VRF) in parallel, n times."""
    by_name = {str(e["name"]): e for e in endpoints}
    targets = {
        pe: DeviceTarget(
            pe,
            str(by_name[pe]["host"]),
            int(str(by_name[pe]["netconf_port"])),
            "rom-router",
            "admin",
            "admin",
            gnmi_port=int(str(by_name[pe]["gnmi_port"])),
        )
        for pe in PES
    }
    order = l3vpn_order(PES, 999)
    address = order["orderItem"][0]["resource"]["resourceCharacteristic"][5]["value"]
    probes = [Probe("bench", pe, address, "B999", count=3) for pe in PES]
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        run_probes(targets, probes)
        samples.append(time.perf_counter() - start)
    return samples


def post_check_windows(database: Path, skip: int) -> dict[int, list[float]]:
    """Seconds from each order's last `commit` phase step to its `committed` step, by the number
    of devices it committed (the first `skip` orders, the warm-up, left out)."""
    rows = sqlite3.connect(database).execute(
        "SELECT order_id, step, detail, at FROM order_steps ORDER BY seq"
    )
    commits: dict[str, datetime] = {}
    windows: list[tuple[int, float]] = []
    for order_id, step, detail, at in rows:
        when, detail = datetime.fromisoformat(str(at)), json.loads(detail or "{}")
        if step == "phase" and detail.get("phase") == "commit":
            commits[order_id] = when
        elif step == "committed" and order_id in commits:
            windows.append((len(detail.get("devices") or []), (when - commits[order_id]).total_seconds()))
    out: dict[int, list[float]] = {}
    for size, seconds in windows[skip:]:
        out.setdefault(size, []).append(seconds)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer samples")
    parser.add_argument("--before", metavar="REF", help="also an earlier commit's ROM, checks on and off")
    args = parser.parse_args()
    n, warm = (10 if args.quick else 40), 3
    latency: dict[tuple[str, int], list[float]] = {}
    with (
        tempfile.TemporaryDirectory() as tmp,
        fleet(topology=star_topology(Path(tmp) / "star.clab.yml")) as lab,
        ExitStack() as stack,
    ):
        repos = {"": REPO}
        if args.before:
            repos = {"before ": stack.enter_context(checkout(args.before)), "after ": REPO}
        cells = {f"{side}{cell}": (repo, env) for side, repo in repos.items() for cell, env in CELLS.items()}
        clients: dict[str, httpx.Client] = {}
        for number, (cell, (repo, env)) in enumerate(cells.items()):
            url = f"sqlite:///{tmp}/{number}.db"
            clients[cell] = stack.enter_context(rom_serve(lab, url, repo, ROM_REACHABILITY_CHECKS=env))
            rom_latency(clients[cell], [l3vpn_order(PES[:2], 100 * (number + 1) + i) for i in range(warm)])
        for r in range(n):
            turn = list(enumerate(clients.items()))
            for size in (2, 3):
                for number, (cell, client) in turn if r % 2 == 0 else turn[::-1]:
                    body = l3vpn_order(PES[:size], 1000 * size + len(cells) * r + number)
                    latency.setdefault((cell, size), []).extend(rom_latency(client, [body]))
        alone = summary(probes_alone(lab, n))
        windows = {
            cell: post_check_windows(Path(tmp) / f"{number}.db", warm) for number, cell in enumerate(cells)
        }
    stats = {key: summary(samples) for key, samples in latency.items()}
    spans = {(cell, size): summary(w[size]) for cell, w in windows.items() for size in (2, 3)}
    print(f"{n} rounds; before: {args.before}" if args.before else f"{n} rounds")
    print(
        "| L3VPN order, reachability checks | 2 PEs (2 pairs) p50 / p99 ms | 3 PEs (6 pairs) p50 / p99 ms |"
    )
    print("|---|---|---|")
    for cell in cells:
        print(f"| {cell}: POST→completed | {ms(stats[(cell, 2)])} | {ms(stats[(cell, 3)])} |")
    for cell in cells:
        window = f"{cell}: post-check window (commit → committed)"
        print(f"| {window} | {ms(spans[(cell, 2)])} | {ms(spans[(cell, 3)])} |")

    def added(table: dict[tuple[str, int], dict[str, float]], side: str, size: int) -> str:
        return f"{1000 * (table[(side + 'on', size)]['p50'] - table[(side + 'off', size)]['p50']):.1f}"

    for side in repos:
        print(
            f"\n{side or 'this checkout'}: added p50, POST→completed: {added(stats, side, 2)} ms (2 PEs), "
            f"{added(stats, side, 3)} ms (3 PEs); post-check window: {added(spans, side, 2)} ms (2 PEs), "
            f"{added(spans, side, 3)} ms (3 PEs)"
        )
    print(
        f"3 probes in parallel outside an order: p50 {1000 * alone['p50']:.1f} ms, "
        f"p99 {1000 * alone['p99']:.1f} ms"
    )


if __name__ == "__main__":
    main()
