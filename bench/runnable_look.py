"""A worker's look (`runnable_orders` + `busy_devices`) as parked orders pile up, in process.

Run: .venv/bin/python -m bench.runnable_look [--parked N] [--repo PATH] [--postgres auto-fsync|URL]
N orders parked for a future start (requestedStartDate 2099, as `bench.intake_cost` parks them)
and 20 runnable ones, written straight to a fresh database (SQLite by default). Prints the median
CPU (this thread's) and wall milliseconds of one look, as the worker makes it, over 300 looks
(the first 20 left out).
`--repo`: another checkout's ROM (e.g. an unpacked `git archive` of an earlier commit).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from bench._harness import REPO
from bench.order_path import postgres_url

CHILD = """
import json, statistics, sys, tempfile, time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from core.settings import Settings
from inventory.context import Context
from rom import order_store
parked, url = int(sys.argv[1]), sys.argv[2]
with tempfile.TemporaryDirectory() as var:
    settings = Settings(var_dir=Path(var), **({"database_url": url} if url else {}))
    ctx = Context.create(settings)
    now = datetime.now(UTC)
    def row(i, start):
        return order_store.OrderRow(
            id=f"o{i}", state="acknowledged", order_date=now + timedelta(microseconds=i),
            requested_start=start, request_hash="h", devices=[f"r{i % 100}"], attempts=0,
            correlation_id=f"c{i}", doc={}, request={}, cancel_requested=False, updated=now,
        )
    with ctx.transaction() as session:
        session.add_all(row(i, datetime(2099, 1, 1, tzinfo=UTC)) for i in range(parked))
        session.add_all(row(parked + i, None) for i in range(20))
    cpu, wall = [], []
    for _ in range(300):
        c, w = time.thread_time(), time.perf_counter()
        with ctx.sessions() as session:
            found = order_store.runnable_orders(session, datetime.now(UTC), limit=20)
            order_store.busy_devices(session)
        cpu.append(time.thread_time() - c)
        wall.append(time.perf_counter() - w)
    assert len(found) == 20, len(found)
    ctx.engine.dispose()
print(json.dumps({"cpu": statistics.median(cpu[20:]), "wall": statistics.median(wall[20:])}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--parked", type=int, default=5000)
    parser.add_argument("--repo", type=Path, default=REPO)
    parser.add_argument("--postgres", default="", help="a URL, or 'auto' / 'auto-fsync' (private cluster)")
    args = parser.parse_args()
    with postgres_url(args.postgres) as url:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(args.parked), url if args.postgres else ""],
            cwd=args.repo,
            capture_output=True,
            text=True,
            check=True,
        )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    where = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"{args.repo} ({where}, {args.parked} parked): a look takes {1e3 * found['cpu']:.2f} ms CPU,"
        f" {1e3 * found['wall']:.2f} ms wall (median of 280)"
    )


if __name__ == "__main__":
    main()
