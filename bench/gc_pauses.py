"""The garbage collections of one `rom serve` over its start-up, warm-up and N 5G slice orders.

Run: .venv/bin/python -m bench.gc_pauses [--orders N] [--repo CHECKOUT]
The 5G slice lab (simulators in their own process) and one `rom serve` with ROM_GC_TRACE: prints
each full (generation 2) collection with its pause and when it came (start-up, warm-up, or which
order), and the pauses of all collections while orders ran. A full collection walks every live
container object of the serve (the YANG schemas, templates, SQLAlchemy's metadata).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from bench._harness import REPO, fleet, rom_serve, slice_order, summary
from bench.order_ab import latency, read_pauses
from bench.order_path import rom_latency


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=40)
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout whose rom serve runs")
    args = parser.parse_args()
    loads = [os.getloadavg()[0]]
    with (
        tempfile.TemporaryDirectory(prefix="rom-bench-gc-") as traces,
        fleet(topology=REPO / "topologies" / "5g-slice.clab.yml") as lab,
    ):
        trace = Path(traces) / "serve.gc"
        began = time.time()
        with rom_serve(lab, repo=args.repo, ROM_GC_TRACE=str(trace)) as client:
            up = time.time()
            rom_latency(client, [slice_order(10_000 + i) for i in range(2)])  # warm-up
            warm = time.time()
            ends = []
            took = []
            for n in range(args.orders):
                took.append(latency(client, slice_order(10_100 + n), 0.02)[0])
                ends.append(time.time())
                loads.append(os.getloadavg()[0])
        pauses = read_pauses(trace, {})
    print(
        f"# rom serve of {args.repo}: {args.orders} slice orders,"
        f" load average {min(loads):.1f} to {max(loads):.1f}"
    )
    counts = [sum(1 for p in pauses if p.generation == g) for g in range(3)]
    print(f"collections by generation (whole run): {counts}")
    for p in pauses:
        if p.generation == 2:
            when = (
                "start-up"
                if p.at < up
                else "warm-up"
                if p.at < warm
                else f"order {sum(1 for e in ends if e < p.at) + 1}"
            )
            print(f"full collection: {p.ms:.1f} ms at {p.at - began:.1f} s ({when})")
    during = [p.ms for p in pauses if p.at >= warm]
    if during:
        print(
            f"while orders ran: {len(during)} collections, {sum(during):.1f} ms in all,"
            f" longest {max(during):.1f} ms"
        )
    top = sorted((p for p in pauses if p.at >= warm), key=lambda p: -p.ms)[:5]
    print("longest while orders ran (generation: ms):", ", ".join(f"{p.generation}: {p.ms:.1f}" for p in top))
    stats = summary(took)
    print(
        f"POST→completed (polled every 20 ms): p50 {stats['p50'] * 1e3:.1f} ms,"
        f" p99 {stats['p99'] * 1e3:.1f} ms"
    )


if __name__ == "__main__":
    main()
