"""The YANG check of one 1,000-router transaction's payloads, two source trees side by side.

    .venv/bin/python bench/yang_check_side_by_side.py OLD_TREE NEW_TREE [--pairs 3] [--devices 1000]

e.g. the code before a change against this checkout:

    mkdir -p /tmp/rom-before && git archive <commit> | tar -x -C /tmp/rom-before
    .venv/bin/python bench/yang_check_side_by_side.py /tmp/rom-before .

Each tree is measured in its own process, alternately (`--pairs` times each, so that the load of a
shared machine falls on both): that tree's `bench/yang_cost.py` builds the 10 orders of 100
`l3vpn-endpoint` items and the closures its intake calls (`intake_check`), then the check runs 6
times: run 1 cold (no shape known), runs 2-6 warm (shapes known, remembered leaf answers emptied:
another transaction brings other values). Wall and CPU time (this process's); medians per tree.
The YANG modules are read from this checkout's `../shared/reference/yang/` and each tree's `yang/`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO.parent / "shared" / "reference" / "yang"


def one(tree: Path, devices: int) -> dict[str, float]:
    """In this process: the check of `devices` payloads as `tree`'s bench calls it."""
    sys.path.insert(0, str(tree))
    os.chdir(tree)
    from bench import yang_cost as yc
    from intent.catalog import Catalog
    from intent.yang import shapes
    from intent.yang.library import data_model
    from intent.yang.platforms import PLATFORM_MODULES

    yc.YANG_PATH[:] = [REFERENCE / "openconfig", REFERENCE / "3gpp", tree / "yang"]
    catalog = Catalog.load()
    data_model(PLATFORM_MODULES["rom-router"], yc.YANG_PATH)
    orders, platforms = yc.fleet_orders(devices)
    checks = [yc.intake_check(catalog, body, platforms, body) for body in orders]
    walls, cpus = [], []
    for _ in range(6):
        getattr(shapes, "_ANSWERS", {}).clear()
        t0, c0 = time.perf_counter(), time.process_time()
        for check in checks:
            check()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return {
        "cold_wall": walls[0],
        "cold_cpu": cpus[0],
        "warm_wall": statistics.median(walls[1:]),
        "warm_cpu": statistics.median(cpus[1:]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs=2, type=Path)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    trees = [t.resolve() for t in args.trees]
    if args.one:
        print(json.dumps(one(trees[0], args.devices)))
        return
    runs: dict[Path, list[dict[str, float]]] = {t: [] for t in trees}
    loads = []
    for _ in range(args.pairs):
        for tree in trees:
            loads.append(Path("/proc/loadavg").read_text().split()[0])
            cmd = [sys.executable, __file__, str(tree), str(tree), "--one", "--devices", str(args.devices)]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            runs[tree].append(json.loads(out.strip().splitlines()[-1]))
    print(f"load averages at each run: {', '.join(loads)}")
    print("| tree | cold wall s | cold CPU s | warm wall s | warm CPU s |")
    print("|---|---:|---:|---:|---:|")
    for tree, samples in runs.items():
        cells = [
            statistics.median(s[k] for s in samples)
            for k in ("cold_wall", "cold_cpu", "warm_wall", "warm_cpu")
        ]
        print(f"| `{tree}` | " + " | ".join(f"{c:.3f}" for c in cells) + " |")


if __name__ == "__main__":
    main()
