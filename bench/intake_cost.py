"""Intake's cost per POST as orders wait: `submit_order` in-process, no HTTP, one at a time.

Run: .venv/bin/python -m bench.intake_cost [--orders N] [--repo PATH]
N L3VPN orders parked for a future start on 3 routers (as `bench.order_path`'s intake), on a fresh
SQLite database (fsync on). Prints the median CPU milliseconds (this thread's, so a loaded machine
slows it less than the wall clock) and wall milliseconds per submit for the first and last 100.
`--repo`: another checkout's ROM (e.g. an unpacked `git archive` of an earlier commit).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from bench._harness import REPO

CHILD = """
import json, statistics, sys, tempfile, time
from pathlib import Path
from core.settings import Settings
from core.tmf652 import ResourceOrderCreate
from inventory.context import Context
from inventory.records import Device, upsert_device
from rom.orders import submit_order
sys.path.insert(0, sys.argv[2])
from bench._harness import l3vpn_order
n = int(sys.argv[1])
with tempfile.TemporaryDirectory() as var:
    ctx = Context.create(Settings(var_dir=Path(var)))
    with ctx.transaction() as session:
        for name in ("r1", "r2", "r3"):
            device = Device(name=name, host="127.0.0.1", port=1, platform="rom-router", role="pe")
            upsert_device(session, device)
    cpu, wall = [], []
    for i in range(n):
        body = {**l3vpn_order([f"r{1 + i % 3}"], 3000 + i), "requestedStartDate": "2099-01-01T00:00:00Z"}
        order = ResourceOrderCreate.model_validate(body)
        c, w = time.thread_time(), time.perf_counter()
        submit_order(ctx, order, "bench")
        cpu.append(time.thread_time() - c)
        wall.append(time.perf_counter() - w)
print(json.dumps({"cpu": cpu, "wall": wall}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--repo", type=Path, default=REPO)
    args = parser.parse_args()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(args.orders), str(REPO)],
        cwd=args.repo,
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    first, last = slice(0, 100), slice(args.orders - 100, args.orders)
    for label, part in (("first 100", first), (f"last 100 (of {args.orders})", last)):
        cpu = 1e3 * statistics.median(found["cpu"][part])
        wall = 1e3 * statistics.median(found["wall"][part])
        print(f"{args.repo}: {label}: median {cpu:.1f} ms CPU, {wall:.1f} ms wall per submit")


if __name__ == "__main__":
    main()
