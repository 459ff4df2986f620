"""Sustained orders/s over 100 devices: one `rom serve` on SQLite, or several on one PostgreSQL.

Run: .venv/bin/python -m bench.order_sustained [--postgres auto|auto-fsync|URL --serves 2]
     [--threads N] [--orders N] [--rounds N] [--repo PATH] [--sims PATH] [--poll SECONDS]
A fleet of 100 simulated routers (its own process). Each round posts `--orders` single-device
L3VPN orders, spread evenly over the devices and over the serves (8 clients), and waits until all
are final. Round 1 opens every device session (fresh SSH and host-key checks); the later rounds
run on pooled sessions, the steady state. Per round: orders/s, and the CPU seconds the serves and
the simulators used per order (what bounds the rate on a machine with few cores). At the end,
each serve's claim attempts by outcome (won, lost to another worker, device busy, database busy).
`--repo`: another checkout's `rom serve` (e.g. main, for a side-by-side run); the simulators stay
this checkout's unless `--sims` names another (to compare simulators). `--profile LABEL`:
py-spy (the GIL holder's stacks) on the first serve during the last round, into
bench/profiles/sustained-LABEL.{svg,txt}, and the CPU ms per order of the largest ROM functions.
"""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from bench._harness import REPO, fleet, l3vpn_order, rom_serve
from bench.order_path import FINAL, ORDERS, postgres_url

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU of the processes and their reaped children (the simulator fleet's workers)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / TICKS


def children(command_part: bytes) -> list[int]:
    """Child processes of this one whose command line has `command_part`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if parent == os.getpid() and command_part in cmd:
            found.append(int(entry.name))
    return found


def burst(
    clients: Sequence[httpx.Client], devices: Sequence[str], count: int, first: int, poll: float
) -> float:
    """Seconds until `count` orders, posted at once over the serves, are all final (none failed):
    one GET every `poll` seconds counts the final orders (it competes with the orders for the
    serve's CPU, so polling less often leaves more to them; the wait is overstated by < `poll`)."""
    start = time.perf_counter()

    def post(i: int) -> str:
        client = clients[i % len(clients)]
        body = l3vpn_order([devices[i % len(devices)]], first + i)
        response = client.post(ORDERS, json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(post, range(count)))
    final = ",".join(FINAL)
    while True:
        counted = clients[0].get(ORDERS, params={"state": final, "limit": 0})  # the count only, no rows
        done = int(counted.headers["X-Total-Count"])
        if done >= first - 1000 + len(ids):  # every earlier round's orders are final too
            break
        time.sleep(poll)
    elapsed = time.perf_counter() - start
    failed = clients[0].get(ORDERS, params={"state": "failed", "limit": 3}).json()
    assert not failed, [n["text"] for o in failed for n in o.get("note", [])]
    return elapsed


@contextmanager
def serves(
    endpoints: list[dict[str, object]], url: str, count: int, repo: Path, threads: int
) -> Iterator[list[httpx.Client]]:
    env = {"ROM_REACHABILITY_CHECKS": "false", "ROM_ORDER_THREADS": str(threads)}
    with ExitStack() as stack:
        yield [stack.enter_context(rom_serve(endpoints, url, repo=repo, **env)) for _ in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--postgres", default="", help="a URL, 'auto' (fsync off) or 'auto-fsync'; default SQLite"
    )
    parser.add_argument("--serves", type=int, default=1, help="`rom serve` processes (PostgreSQL only)")
    parser.add_argument("--threads", type=int, default=4, help="ROM_ORDER_THREADS per serve")
    parser.add_argument("--orders", type=int, default=100, help="orders per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repo", type=Path, default=REPO, help="run another checkout's `rom serve`")
    parser.add_argument("--sims", type=Path, default=REPO, help="run another checkout's simulators")
    parser.add_argument("--profile", metavar="LABEL", help="py-spy the first serve in the last round")
    parser.add_argument(
        "--poll", type=float, default=0.1, help="seconds between the client's completion GETs (was 0.02)"
    )
    args = parser.parse_args()
    if args.serves > 1 and not args.postgres:
        parser.error("several serves share one database: give --postgres")
    devices = [f"r{i}" for i in range(1, 101)]
    where = f"PostgreSQL ({args.postgres}), {args.serves} serve(s)" if args.postgres else "SQLite, 1 serve"
    print(
        f"# Sustained: {args.orders} single-device orders per round over 100 devices; {where}; "
        f"order threads {args.threads}; completion polled every {args.poll} s; "
        f"serve {args.repo}, simulators {args.sims}\n"
    )
    print("| round | orders/s | serve CPU ms per order | simulator CPU ms per order | load average |")
    print("|---|---:|---:|---:|---|")
    numbers = itertools.count(1000, args.orders)
    with ExitStack() as stack:
        url = stack.enter_context(postgres_url(args.postgres)) if args.postgres else ""
        endpoints = stack.enter_context(fleet(100, repo=args.sims))
        sims = children(b"sims")
        clients = stack.enter_context(serves(endpoints, url, args.serves, args.repo, args.threads))
        rom = children(b"serve")
        for r in range(1, args.rounds + 1):
            spy = profiler(rom[0], args.profile) if args.profile and r == args.rounds else None
            before = cpu_seconds(rom), cpu_seconds(sims)
            elapsed = burst(clients, devices, args.orders, next(numbers), args.poll)
            after = cpu_seconds(rom), cpu_seconds(sims)
            per = [1e3 * (a - b) / args.orders for a, b in zip(after, before, strict=True)]
            load = " ".join(f"{x:.1f}" for x in os.getloadavg())
            print(
                f"| {r}{' (fresh sessions)' if r == 1 else ''} | {args.orders / elapsed:.1f} | "
                f"{per[0]:.1f} | {per[1]:.1f} | {load} |"
            )
            if spy is not None:
                cpu_by_function(spy, args.profile, args.orders, per[0] / args.serves)
        for n, client in enumerate(clients, start=1):
            if outcomes := claim_outcomes(client):
                print(f"\nserve {n}: claims by outcome (whole run): {outcomes}")


def claim_outcomes(client: httpx.Client) -> dict[str, int]:
    """The serve's `rom_order_claims_total` by outcome (empty: a checkout without it)."""
    found = {}
    for line in client.get("/metrics").text.splitlines():
        if line.startswith("rom_order_claims_total{"):
            labels, _, value = line.rpartition(" ")
            found[labels.split('"')[1]] = int(float(value))
    return found


PROFILES = REPO / "bench" / "profiles"
ROM_CODE = ("rom/", "inventory/", "intent/", "api/", "core/", "drivers/", "telemetry/", "events/")


def profiler(pid: int, label: str) -> list[subprocess.Popen[bytes]]:
    """py-spy on `pid`, the thread holding the GIL at each sample (the Python CPU that bounds one
    process), into a flame graph and raw stacks."""
    PROFILES.mkdir(exist_ok=True)
    common = ["py-spy", "record", "--pid", str(pid), "--gil", "--nonblocking", "--rate", "200"]
    spies = [
        subprocess.Popen(
            [*common, "--format", fmt, "-o", str(PROFILES / f"sustained-{label}.{ext}")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for fmt, ext in (("flamegraph", "svg"), ("raw", "txt"))
    ]
    time.sleep(1.0)
    return spies


def cpu_by_function(spies: list[subprocess.Popen[bytes]], label: str, orders: int, cpu_ms: float) -> None:
    """Stop py-spy; each ROM function's share of the samples (inclusive), as CPU ms per order."""
    for spy in spies:
        spy.send_signal(signal.SIGINT)
    for spy in spies:
        spy.wait(120)
    inclusive: Counter[str] = Counter()
    total = 0
    for line in (PROFILES / f"sustained-{label}.txt").read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        for name in {f.split(" (")[0] for f in stack.split(";") if any(c in f for c in ROM_CODE)}:
            inclusive[name] += int(count)
    print(
        f"\nCPU ms per order by ROM function (inclusive; {cpu_ms:.1f} ms per order in all, {orders} orders):"
    )
    for name, count in inclusive.most_common(30):
        print(f"- {name}: {cpu_ms * count / max(total, 1):.1f}")


if __name__ == "__main__":
    main()
