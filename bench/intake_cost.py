"""Intake's cost per POST as orders wait: `submit_order` in-process, no HTTP, one at a time.

Run: .venv/bin/python -m bench.intake_cost [--orders N] [--repo PATH] [--profile]
N L3VPN orders parked for a future start on 3 routers (as `bench.order_path`'s intake), on a fresh
SQLite database (fsync on). Prints the median CPU milliseconds (this thread's, so a loaded machine
slows it less than the wall clock) and wall milliseconds per submit for the first and last 100.
`--repo`: another checkout's ROM (e.g. an unpacked `git archive` of an earlier commit).
`--profile`: instead, intake's steps under cProfile from the 51st submit on (wall ms per submit,
the profiler's overhead included: compare checkouts run one after the other) and the SQL
statements per submit.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from bench._harness import REPO

# intake's steps as `rom.orders` calls them (function: file), before and after session 7's renames
STEPS = {
    "submit_order": "rom/orders.py",
    "list_devices": "inventory/records.py",
    "device_platforms": "inventory/records.py",
    "plan_order": "intent/planner.py",
    "own_intents": "inventory/ownership.py",
    "claims_by_item": "rom/order_claims.py",
    "lock_devices": "inventory/ownership.py",
    "pending": "rom/order_claims.py",
    "check_owners": "inventory/ownership.py",
    "reserve_order": "inventory/intake.py",
    "record": "rom/order_claims.py",
    "add_event": "core/outbox.py",
    "transaction": "inventory/context.py",
}
CHILD = """
import cProfile, json, pstats, statistics, sys, tempfile, time
from pathlib import Path
from core.settings import Settings
from core.tmf652 import ResourceOrderCreate
from inventory.context import Context
from inventory.records import Device, upsert_device
from rom.orders import submit_order
sys.path.insert(0, sys.argv[2])
from bench._harness import l3vpn_order
n = int(sys.argv[1])
steps = json.loads(sys.argv[3]) if len(sys.argv) > 3 else None
profile = cProfile.Profile()
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
        if steps is not None and i >= 50:  # past the first compilations
            profile.runcall(submit_order, ctx, order, "bench")
        else:
            submit_order(ctx, order, "bench")
        cpu.append(time.thread_time() - c)
        wall.append(time.perf_counter() - w)
found = {}
for (path, _, name), (_, calls, _, total, _) in pstats.Stats(profile).stats.items() if steps else []:
    if name in steps and path.endswith(steps[name]):
        found[name] = [calls / (n - 50), 1e3 * total / (n - 50)]
    elif name in ("do_execute", "do_executemany"):
        found.setdefault("SQL statements", [0.0, 0.0])[0] += calls / (n - 50)
print(json.dumps({"cpu": cpu, "wall": wall, "steps": found}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--repo", type=Path, default=REPO)
    parser.add_argument("--profile", action="store_true", help="intake's steps under cProfile")
    args = parser.parse_args()
    profile = [json.dumps(STEPS)] if args.profile else []
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(args.orders), str(REPO), *profile],
        cwd=args.repo,
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    if args.profile:
        print(f"{args.repo}: under cProfile, per submit (submits 51 to {args.orders})")
        for name in [n for n in [*STEPS, "SQL statements"] if n in found["steps"]]:
            calls, ms = found["steps"][name]
            print(f"  {name}: {calls:.1f} calls" + (f", {ms:.2f} ms" if ms else ""))
        return
    first, last = slice(0, 100), slice(args.orders - 100, args.orders)
    for label, part in (("first 100", first), (f"last 100 (of {args.orders})", last)):
        cpu = 1e3 * statistics.median(found["cpu"][part])
        wall = 1e3 * statistics.median(found["wall"][part])
        print(f"{args.repo}: {label}: median {cpu:.1f} ms CPU, {wall:.1f} ms wall per submit")


if __name__ == "__main__":
    main()
