"""Where an order's milliseconds go: py-spy on a running `rom serve` while it takes sequential orders.

Run: .venv/bin/python -m bench.profile_order [--orders N] [--label before|after]
Needs py-spy (`.venv/bin/pip install py-spy`). The 5G slice lab (simulators in their own process,
reachability checks on): N 5G slice orders, then N 2-PE L3VPN orders (pe1, pe2 through p1), one at a
time. py-spy samples every thread of `rom serve` (--idle: waits count too) into a flame graph
(bench/profiles/<label>-<kind>.svg) and collapsed stacks; the stacks of the thread running the order
(`execute_order`) and of the API's request handlers are then split into phases by the innermost
phase function on them, and printed as milliseconds per order. What neither covers is the
rest of POST→completed: the worker's hand-off and the client's polling.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench._harness import REPO, fleet, l3vpn_order, rom_serve, slice_order
from bench.order_path import rom_latency

PROFILES = REPO / "bench" / "profiles"
RATE = 250  # samples/s per thread

OVERLAPPED = "post-check: waiting for the overlapped KPI baseline + reachability"
POST_CHECK_OTHER = "post-check: other (cancel check, committed step)"
# innermost match wins: (phase, function (last part of its qualified name), file fragment). Only
# the order's own thread counts (a stack through `execute_order`): the Nornir pool threads' device
# work is inside the order thread's wait in `Nornir.run`, which `_phases`' line says the phase of.
PHASES: list[tuple[str, str, str]] = [
    ("order start (read row, inProgress + started step)", "execute_order", "rom/executor.py"),
    ("planning (plan, neighbours' intents)", "plan", "rom/executor.py"),
    ("rendering + edits", "order_edits", "intent/edits.py"),
    ("push: inventory, cancel checks, Nornir", "_push", "rom/executor.py"),
    ("transaction: book-keeping", "run_transaction", "drivers/transaction.py"),
    ("transaction: close sessions (back to the pool)", "close_connections", "nornir/core/__init__.py"),
    (POST_CHECK_OTHER, "post_check", "rom/executor.py"),
    ("post-check: read-back", "read_back", "drivers/config_reads.py"),
    ("post-check: compare", "after_commit_problems", "intent/readback.py"),
    ("post-check: fingerprints", "part_prints", "intent/fingerprint.py"),
    ("post-check: KPI baseline", "kpi_baselines", "rom/executor.py"),
    ("post-check: reachability (start: gNOI pings sent)", "start_checks", "rom/reachability.py"),
    (OVERLAPPED, "findings", "rom/reachability.py"),
    (
        "post-check: waiting for the overlapped KPI baseline + reachability",
        "result",
        "concurrent/futures/_base.py",
    ),
    (
        "post-check: waiting for the overlapped KPI baseline + reachability",
        "shutdown",
        "concurrent/futures/thread.py",
    ),
    ("audit entries (who + write)", "record", "inventory/audit.py"),
    ("transaction: phase steps (progress, written as each phase ends)", "task_completed", "rom/progress.py"),
    ("finish (resources, states, outbox, fingerprints)", "finish_order", "rom/finish.py"),
]
ORDER_THREAD = ("execute_order", "rom/executor.py")
# what the order thread waits for in `Nornir.run`, by the line of `drivers.transaction._phases`
PHASE_CALLS = {
    'run.run("stage"': "transaction: stage (lock, edit, diff for audit, gNMI Set)",
    'run.run("commit"': "transaction: confirmed commit",
    'run.run("confirm"': "transaction: confirm",
    "before_commit()": "transaction: waiting for the one-owner check run beside the stage",
}
INTAKE = ("create_resource_order", "api/resource_order.py")


def _phase_lines(repo: Path) -> dict[int, str]:
    """Line -> phase in the profiled checkout's `drivers/transaction.py`."""
    lines = (repo / "drivers" / "transaction.py").read_text().splitlines()
    return {
        n: phase for n, text in enumerate(lines, 1) for call, phase in PHASE_CALLS.items() if call in text
    }


def _is(frame: str, function: str, where: str) -> bool:
    name, _, place = frame.partition(" (")
    return name.rsplit(".", 1)[-1] == function and where in place


def phase_of(stack: list[str], lines: dict[int, str]) -> str | None:
    """The phase of one collapsed stack (outermost frame first), None if it is not an order's."""
    if not any(_is(f, *ORDER_THREAD) for f in stack):
        return None
    found = None
    for frame in stack:
        for phase, function, where in PHASES:
            # a future waited on right under the post-check is an overlapped check (Nornir's
            # runner waits on futures too)
            overlapped = phase == OVERLAPPED and found == POST_CHECK_OTHER
            if _is(frame, function, where) and (phase != OVERLAPPED or overlapped):
                found = phase
        if _is(frame, "_phases", "drivers/transaction.py"):
            line = int(frame.rsplit(":", 1)[-1].rstrip(")"))
            found = lines.get(line, found)
    return found


def serve_pid() -> int:
    """The `rom serve` child of this process."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().split()
            cmd = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(stat[3]) == os.getpid() and b"serve" in cmd:
            return int(entry.name)
    raise RuntimeError("rom serve is not running")


def sampled(label: str, run: Callable[[], Any], repo: Path = REPO) -> tuple[Any, Counter[str], Counter[str]]:
    """Run `run` under two py-spy recorders (SVG flame graph and raw stacks): its result, the order
    thread's seconds per phase and the intake's per innermost ROM function. py-spy misses ticks on
    a loaded machine, so samples become seconds by the rate it reached: every thread is sampled at
    each tick (--idle), so the busiest thread's count over the wall time is that rate."""
    pid = serve_pid()
    began = time.perf_counter()
    PROFILES.mkdir(exist_ok=True)
    raw = PROFILES / f"{label}.txt"
    common = [
        "py-spy",
        "record",
        "--pid",
        str(pid),
        "--idle",
        "--threads",
        "--nonblocking",
        "--rate",
        str(RATE),
    ]
    spies = [
        subprocess.Popen(
            [*common, "--format", fmt, "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        for fmt, out in (("flamegraph", PROFILES / f"{label}.svg"), ("raw", raw))
    ]
    time.sleep(1.0)
    result = run()
    for spy in spies:
        spy.send_signal(signal.SIGINT)
    wall = time.perf_counter() - began
    for spy in spies:
        _, err = spy.communicate(timeout=120)
        if spy.returncode not in (0, -signal.SIGINT):
            raise RuntimeError(f"py-spy failed: {err.decode()[-400:]}")
    phases: Counter[str] = Counter()
    intake: Counter[str] = Counter()
    lines = _phase_lines(repo)
    per_thread: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack_text, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        stack = stack_text.split(";")
        per_thread[stack[0]] += int(count)
        phase = phase_of(stack, lines)
        if phase is not None:
            phases[phase] += int(count)
        elif any(_is(f, *INTAKE) for f in stack):
            ours = [
                f for f in stack if any(p in f for p in ("rom/", "inventory/", "intent/", "api/", "core/"))
            ]
            intake[ours[-1].split(" (")[0] if ours else "?"] += int(count)
    rate = max(per_thread.values()) / wall
    print(f"\n{label}: py-spy reached {rate:.0f} samples/s per thread of the {RATE} asked ({wall:.1f} s)")
    return (
        result,
        Counter({k: v / rate for k, v in phases.items()}),
        Counter({k: v / rate for k, v in intake.items()}),
    )


def report(title: str, n: int, samples: list[float], phases: Counter[str], intake: Counter[str]) -> None:
    samples = sorted(samples)
    print(f"\n### {title}: {n} orders, POST→completed p50 {1e3 * samples[len(samples) // 2]:.1f} ms\n")
    print("| phase (order thread, wall clock incl. waits) | ms per order |")
    print("|---|---:|")
    for phase, count in sorted(phases.items(), key=lambda kv: -kv[1]):
        print(f"| {phase} | {1e3 * count / n:.1f} |")
    thread, total = sum(phases.values()), sum(intake.values())
    print(f"| **total on the order thread** | {1e3 * thread / n:.1f} |")
    print(f"| intake (POST handler) | {1e3 * total / n:.1f} |")
    rest = sum(samples) / n - thread / n - total / n
    print(f"| the rest of the mean POST→completed: hand-off, client polling, HTTP | {1e3 * rest:.1f} |")
    print("\nintake, top functions (ms per order):")
    for function, count in intake.most_common(8):
        print(f"- {function}: {1e3 * count / n:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=20)
    parser.add_argument("--label", default="after")
    parser.add_argument("--repo", type=Path, default=REPO, help="run another checkout's `rom serve`")
    args = parser.parse_args()
    n = args.orders
    with (
        fleet(topology=REPO / "topologies" / "5g-slice.clab.yml") as lab,
        rom_serve(lab, repo=args.repo) as client,
    ):
        rom_latency(client, [slice_order(1000 + i) for i in range(2)])  # warm-up
        rom_latency(client, [l3vpn_order(["pe1", "pe2"], 100 + i) for i in range(2)])
        for kind, bodies in (
            ("slice", [slice_order(2000 + i) for i in range(n)]),
            ("l3vpn", [l3vpn_order(["pe1", "pe2"], 200 + i) for i in range(n)]),
        ):
            samples, phases, intake = sampled(
                f"{args.label}-{kind}", lambda b=bodies: rom_latency(client, b), args.repo
            )
            report(f"{kind} ({args.label})", n, samples, phases, intake)


if __name__ == "__main__":
    main()
