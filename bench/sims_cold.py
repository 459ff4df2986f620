"""First start against later starts of a 1000-router fleet host (issue 13): `python -m sims --count N
--no-gnmi` with an empty YANG cache (yangson compiles the router's modules) and with a filled one,
interleaved rounds; seconds until endpoints.json exists and the process's CPU seconds then (the
figure to compare on a loaded machine).

    .venv/bin/python bench/sims_cold.py [--count 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.sims_fleet import fleet_process


def cpu_seconds(pid: int) -> float:
    """utime + stime of a live process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(count: int, cache: str) -> tuple[float, float]:
    """(seconds to endpoints.json, CPU seconds then) of one NETCONF-only fleet."""
    env = {**os.environ, "SIM_YANG_CACHE": cache}
    with fleet_process(count, gnmi=False, env=env) as (elapsed, _peak, proc, _devices):
        return elapsed, cpu_seconds(proc.pid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[tuple[float, float]]] = {"cold": [], "warm": []}
    with tempfile.TemporaryDirectory(prefix="rom-bench-yang-") as warm:
        start(args.count, warm)  # fills the warm cache
        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory(prefix="rom-bench-yang-") as empty:
                results["cold"].append(start(args.count, empty))
            results["warm"].append(start(args.count, warm))
    for kind, runs in results.items():
        wall = statistics.median(run[0] for run in runs)
        cpu = statistics.median(run[1] for run in runs)
        load = os.getloadavg()[0]
        print(
            f"{kind}: median {wall:.2f} s to endpoints.json, {cpu:.2f} s CPU (n={len(runs)}, load {load:.1f})"
        )


if __name__ == "__main__":
    main()
