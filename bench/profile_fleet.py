"""Where a fleet transaction's time goes: per phase, client CPU vs simulator CPU; run under py-spy.

    .venv/bin/python bench/profile_fleet.py [--devices 1000] [--rounds 4] [--workers 100] [--tree DIR]
    .venv/bin/py-spy record --gil -r 100 -f flamegraph -o bench/profiles/fleet-after.svg -- \\
        .venv/bin/python bench/profile_fleet.py --devices 1000

A simulator fleet runs in its own process (`python -m sims --count N --no-gnmi`); each round is one
`run_transaction` of the `l3vpn-endpoint` payloads over every device through one `SessionPool`
(round 1 opens the sessions). Prints, per round: wall seconds, this process's CPU seconds, the
fleet's CPU seconds, live threads, and each Nornir phase's seconds. `--tree DIR`: import ROM's
`drivers` from another checkout (e.g. main's, for the profile before a change).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_pid() -> int:
    """The fleet: this process's only child."""
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == me:
                    return int(entry.name)
            except (OSError, ValueError):
                continue
    raise SystemExit("the simulator fleet process was not found")


class PhaseClock:
    """A Nornir processor noting how long each task (transaction phase) took over all hosts."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def task_started(self, task: Any) -> None:
        self.seconds[task.name] = time.perf_counter()

    def task_completed(self, task: Any, result: Any) -> None:
        self.seconds[task.name] = time.perf_counter() - self.seconds[task.name]

    def task_instance_started(self, task: Any, host: Any) -> None:
        return None

    def task_instance_completed(self, task: Any, host: Any, result: Any) -> None:
        return None

    def subtask_instance_started(self, task: Any, host: Any) -> None:
        return None

    def subtask_instance_completed(self, task: Any, host: Any, result: Any) -> None:
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--devices", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=4, help="round 1 opens the sessions")
    ap.add_argument("--workers", type=int, default=100, help="Nornir workers")
    ap.add_argument("--tree", type=Path, help="import drivers from this checkout")
    args = ap.parse_args()
    repo = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(repo))
    if args.tree is not None:
        sys.path.insert(0, str(args.tree.resolve()))
    from bench.fleet_transaction import render
    from bench.netconf_fleet_push import fleet_targets
    from drivers.nornir_plugins import make_nornir
    from drivers.pool import SessionPool
    from drivers.transaction import run_transaction
    from intent.catalog import Catalog

    catalog = Catalog.load()
    with fleet_targets(args.devices, external=True) as targets:
        fleet = child_pid()
        pool = SessionPool()
        for n in range(1, args.rounds + 1):
            payloads = render(catalog, targets, n)
            clock = PhaseClock()
            nr = make_nornir(targets, workers=args.workers, pool=pool)
            cpu0, fleet0, t0 = time.process_time(), cpu_seconds(fleet), time.perf_counter()
            out = run_transaction(
                nr, payloads, confirm_timeout=300, persist_id=f"prof-{n}", processors=[clock]
            )
            wall = time.perf_counter() - t0
            phases = " ".join(f"{k.removesuffix('_task')}={v:.2f}" for k, v in clock.seconds.items())
            print(
                f"round {n}: {wall:.2f} s wall, client CPU {time.process_time() - cpu0:.2f} s, "
                f"fleet CPU {cpu_seconds(fleet) - fleet0:.2f} s, {threading.active_count()} threads; "
                f"phases (s): {phases}; ok={out.ok}",
                flush=True,
            )
        pool.close_all()


if __name__ == "__main__":
    main()
