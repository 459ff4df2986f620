"""Where `rom serve`'s CPU goes while it takes POSTs: py-spy samples of the thread holding the GIL.

Run: PATH=.venv/bin:$PATH .venv/bin/python -m bench.profile_intake_cpu [--posts N] [--label L] [--repo PATH]
A 3-router fleet, `rom serve` (this checkout, or `--repo`: another checkout's tree), N L3VPN orders
parked for a future start, posted by `bench.intake_load` (raw HTTP from 2 processes, so the load
generator takes little of the 2 cores). py-spy records with `--gil` (only the thread holding the
GIL: CPU spent in Python, not waits), raw stacks to bench/profiles/intake-cpu-<label>.txt. Prints
accepted POSTs/s, the server's CPU ms per POST and the share of samples per part of a POST.
Unlike `bench.profile_intake` (wall time, waits included), this shows what to cut for throughput.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

from bench._harness import REPO, fleet, rom_serve
from bench.intake_load import raw_intake
from bench.order_ab import process_cpu, serve_pid

PROFILES = REPO / "bench" / "profiles"
SPY = ["py-spy", "record", "--gil", "--nonblocking", "--rate", "200", "--format", "raw"]
# (label, a frame that marks it), first match wins, from the innermost part outwards
PARTS = [
    ("SQLAlchemy execute, intake (Python around the driver)", ("_insert", "Session._execute_internal")),
    ("SQLAlchemy execute, intake (Python around the driver)", ("_insert", "Connection.execute")),
    ("commit, intake", ("_insert", "SessionTransaction.commit")),
    ("submit_order, the rest (planning, rendering, claims, pools)", ("submit_order",)),
    ("the route outside submit_order (hrefs, headers)", ("create_resource_order",)),
    ("thread-pool hand-off (anyio worker threads)", ("WorkerThread.run",)),
    ("order workers' polls", ("OrderWorker._run",)),
    ("order workers' keeper", ("OrderWorker._keeper",)),
    ("outbox relay", ("OutboxRelay",)),
    ("HTTP: uvicorn, middleware, FastAPI (parse, validate, dependencies, serialise)", ("run_asgi",)),
]


def parts(raw: Path) -> tuple[int, Counter[str]]:
    total, found = 0, Counter[str]()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        total += n
        names = [f.split(" (")[0] for f in stack.split(";")]
        joined = ";".join(names)
        label = next(
            (label for label, marks in PARTS if all(m in joined for m in marks)),
            "other (event loop, threads, native)",
        )
        found[label] += n
    return total, found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=600)
    parser.add_argument("--label", default="after")
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout whose `rom serve` runs")
    args = parser.parse_args()
    three = ["r1", "r2", "r3"]
    PROFILES.mkdir(exist_ok=True)
    raw = PROFILES / f"intake-cpu-{args.label}.txt"
    with (
        fleet(3) as endpoints,
        rom_serve(endpoints, repo=args.repo, ROM_REACHABILITY_CHECKS="false") as client,
    ):
        url, pid = str(client.base_url), serve_pid(client)
        raw_intake(url, three, 50, 4, 100_000)  # warm-up
        spy = subprocess.Popen(
            [*SPY, "--pid", str(pid), "-o", str(raw)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.5)
        spent = process_cpu(pid)
        rate = raw_intake(url, three, args.posts, 16, 0)
        cpu_ms = 1e3 * (process_cpu(pid) - spent) / args.posts
        spy.send_signal(signal.SIGINT)
        spy.wait(60)
    total, found = parts(raw)
    print(f"\n{args.label}: {rate:.0f} accepted POSTs/s, {cpu_ms:.1f} ms server CPU per POST")
    print(f"{total} samples with the GIL held\n")
    print("| part of the server's CPU | share of samples |\n|---|---:|")
    for label, n in found.most_common():
        print(f"| {label} | {100 * n / total:.0f} % |")


if __name__ == "__main__":
    main()
