"""This checkout's order path beside an earlier commit's, interleaved on one fleet (fair on a loaded machine).

Run: .venv/bin/python -m bench.order_ab [--before REF] [--rounds N] [--intake POSTS [--postgres auto-fsync]]
The 5G slice lab (simulators in their own process). Four `rom serve` processes run at once, each on
its own database: REF and this checkout, each with reachability checks on and off. Each round sends
one 5G slice order and one 2-PE L3VPN order (pe1, pe2 through p1: two probes of 3 pings) to each, one
at a time, so load swings hit every cell alike. In each round too, ROM's bare network transaction
on a slice's payloads (no API, database or checks, pooled sessions), the issue's "2x" yardstick. The slice
orders of the "after" side name the N3 probe's ends (gnbPeDevice, upfN3Address); REF's do not
(a checkout before that check refuses them). The client polls each order's state every
--poll-ms (default 2 ms, as the earlier runs did); each poll is a GET the serve answers while
the order runs, so a slower poll shows the order with less of that competition (and up to
--poll-ms of lag in the figure).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bench._harness import REPO, fleet, l3vpn_order, rom_serve, rom_serves, slice_order, summary
from bench.intake_load import raw_intake
from bench.order_path import FINAL, ORDERS, intake, ms, postgres_url, rom_latency, transaction_only
from bench.order_relayer import checkout

BEFORE = "46cb9b3"
SIDES_AB = ("before", "after")
SIDES = [("before", "true"), ("before", "false"), ("after", "true"), ("after", "false")]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--before", default=BEFORE, help="the earlier commit to run beside this checkout")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument(
        "--poll-ms", type=float, default=2.0, help="how often the client reads an order's state"
    )
    parser.add_argument(
        "--intake",
        type=int,
        default=0,
        metavar="POSTS",
        help="instead: intake (orders parked for a future start) on 3 routers, POSTS per round and side",
    )
    parser.add_argument(
        "--postgres",
        default="",
        choices=["", "auto", "auto-fsync"],
        help="with --intake: each side on its own private PostgreSQL cluster ('auto-fsync': fsync on)",
    )
    parser.add_argument(
        "--serves",
        type=int,
        default=1,
        help="with --intake: this checkout as N `rom serve --reuse-port` processes on one port",
    )
    parser.add_argument(
        "--generator",
        default="httpx",
        choices=["httpx", "raw"],
        help="with --intake: the load generator: httpx (16 clients in this process) or raw "
        "(bench.intake_load: raw HTTP/1.1 from 2 processes, bodies built before the clock starts)",
    )
    args = parser.parse_args()
    if args.intake:
        intake_ab(args.before, args.rounds, args.intake, args.postgres, args.serves, args.generator)
        return
    samples: dict[tuple[str, str, str], list[float]] = {}
    cpu: dict[tuple[str, str, str], list[float]] = {}  # the serve's CPU ms per order, polls included
    records: dict[tuple[str, str, str], list[Record]] = {}  # the order's own dates, per order
    pauses: dict[tuple[str, str, str], list[list[Pause]]] = {}  # the serve's collections, per order
    bare_samples: list[float] = []
    loads = [os.getloadavg()[0]]
    with (
        checkout(args.before) as old,
        fleet(topology=REPO / "topologies" / "5g-slice.clab.yml") as lab,
        tempfile.TemporaryDirectory(prefix="rom-bench-gc-") as traces,
    ):
        repos = {"before": old, "after": REPO}
        serves: dict[tuple[str, str], Any] = {}
        gc_files = {key: Path(traces) / f"{key[0]}-{key[1]}.gc" for key in SIDES}
        offsets: dict[Path, int] = {}  # how far each trace has been read
        try:
            for number, (side, probes) in enumerate(SIDES):
                env = {"ROM_REACHABILITY_CHECKS": probes, "ROM_GC_TRACE": str(gc_files[(side, probes)])}
                cm = rom_serve(lab, repo=repos[side], **env)
                client = cm.__enter__()
                serves[(side, probes)] = (cm, client, serve_pid(client))
                base = 10_000 * (number + 1)
                rom_latency(client, [slice_order(base + i, n3=side == "after") for i in range(2)])  # warm-up
                rom_latency(client, [l3vpn_order(["pe1", "pe2"], base + i) for i in range(2)])
            transaction_only(lab, [slice_order(89_000)])  # warm-up: its sessions into the pool
            for r in range(args.rounds):
                for number, key in enumerate(serves):
                    client = serves[key][1]
                    n = 10_000 * (number + 1) + 100 + r
                    sliced = slice_order(n, n3=key[0] == "after")
                    for kind, body in (("slice", sliced), ("l3vpn", l3vpn_order(["pe1", "pe2"], n))):
                        pid = serves[key][2]
                        spent = process_cpu(pid)
                        began = time.time()
                        took, record = latency(client, body, args.poll_ms / 1e3)
                        samples.setdefault((*key, kind), []).append(took)
                        cpu.setdefault((*key, kind), []).append(1e3 * (process_cpu(pid) - spent))
                        records.setdefault((*key, kind), []).append(record)
                        during = [p for p in read_pauses(gc_files[key], offsets) if p.at >= began]
                        pauses.setdefault((*key, kind), []).append(during)
                # the yardstick in the same round, so it sees the same load
                bare_samples.extend(transaction_only(lab, [slice_order(90_000 + r)]))
                loads.append(os.getloadavg()[0])
        finally:
            for cm, *_ in serves.values():
                cm.__exit__(None, None, None)
        bare = summary(bare_samples)
        whole_run = {key: read_pauses(gc_files[key], {}) for key in SIDES}
    stats = {k: summary(v) for k, v in samples.items()}
    print(
        f"# Order path: {args.before} (before) and this checkout (after), {args.rounds} rounds interleaved,"
        f" state polled every {args.poll_ms:g} ms;"
        f" load average (1 min) {min(loads):.1f} to {max(loads):.1f}\n"
    )
    print("| POST→completed p50 / p99 ms | 5G slice | L3VPN pe1+pe2 |")
    print("|---|---|---|")
    for side, probes in SIDES:
        label = f"{side}, reachability {'on' if probes == 'true' else 'off'}"
        print(f"| {label} | {ms(stats[(side, probes, 'slice')])} | {ms(stats[(side, probes, 'l3vpn')])} |")
    print(f"| bare transaction (slice payloads, no order machinery) | {ms(bare)} | |")
    print("\n| serve CPU ms per order (all threads, the polls' GETs included), median | 5G slice | L3VPN |")
    print("|---|---:|---:|")
    for side, probes in SIDES:
        label = f"{side}, reachability {'on' if probes == 'true' else 'off'}"
        medians = [statistics.median(cpu[(side, probes, kind)]) for kind in ("slice", "l3vpn")]
        print(f"| {label} | {medians[0]:.1f} | {medians[1]:.1f} |")
    print_records(records, bare)
    print_pauses(pauses, whole_run)
    for side in ("before", "after"):
        on, off = stats[(side, "true", "l3vpn")], stats[(side, "false", "l3vpn")]
        added = 1e3 * (on["p50"] - off["p50"])
        on_slice, off_slice = stats[(side, "true", "slice")], stats[(side, "false", "slice")]
        slice_added = 1e3 * (on_slice["p50"] - off_slice["p50"])
        ratio = on_slice["p50"] / bare["p50"]
        ratio99 = on_slice["p99"] / bare["p99"]
        print(
            f"\n{side}: reachability adds {added:.1f} ms to the L3VPN p50, {slice_added:.1f} ms to the "
            f"slice p50; slice / bare p50 = {ratio:.1f}x (p99 {ratio99:.1f}x)"
        )


@dataclass(frozen=True)
class Record:
    """An order's own dates (TMF orderDate, startDate, completionDate; ms precision), as seconds:
    intake's document → the worker's start (the hand-off), start → completion, and the whole."""

    handoff: float
    run: float
    whole: float


@dataclass(frozen=True)
class Pause:
    """One garbage collection in a serve (`ROM_GC_TRACE`): its generation, pause ms, when it ended."""

    generation: int
    ms: float
    at: float


def latency(client: httpx.Client, body: dict[str, Any], poll_s: float) -> tuple[float, Record]:
    """POST→completed of one order, its state read every `poll_s` seconds, and its own record's
    dates (read after the clock stops: they do not depend on the polling)."""
    start = time.perf_counter()
    order_id = client.post(ORDERS, json=body).json()["id"]
    while True:
        state = client.get(f"{ORDERS}/{order_id}", params={"fields": "state"}).json()["state"]
        if state in FINAL:
            break
        time.sleep(poll_s)
    took = time.perf_counter() - start
    doc = client.get(f"{ORDERS}/{order_id}").json()
    assert state == "completed", doc.get("note")
    ordered, started, done = (iso_seconds(doc[k]) for k in ("orderDate", "startDate", "completionDate"))
    return took, Record(started - ordered, done - started, done - ordered)


def iso_seconds(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def read_pauses(path: Path, offsets: dict[Path, int]) -> list[Pause]:
    """The collections traced since the last read of `path` (whole lines only)."""
    if not path.exists():
        return []  # a checkout before ROM_GC_TRACE
    with path.open("rb") as trace:
        trace.seek(offsets.get(path, 0))
        text = trace.read()
    text = text[: text.rfind(b"\n") + 1]
    offsets[path] = offsets.get(path, 0) + len(text)
    lines = (line.split() for line in text.decode().splitlines())
    return [Pause(int(g), float(took), float(at)) for g, took, at in lines]


def print_records(records: dict[tuple[str, str, str], list[Record]], bare: dict[str, float]) -> None:
    """The orders' own record: no polling in these figures (ms precision)."""
    print(
        "\n| the order's own dates, p50 / p99 ms | 5G slice: orderDate→startDate (hand-off)"
        " | start→completion | orderDate→completionDate | L3VPN: orderDate→completionDate |"
    )
    print("|---|---|---|---|---|")
    for side, probes in SIDES:
        label = f"{side}, reachability {'on' if probes == 'true' else 'off'}"
        got = records[(side, probes, "slice")]
        cells = [ms(summary([getattr(r, f) for r in got])) for f in ("handoff", "run", "whole")]
        l3vpn = ms(summary([r.whole for r in records[(side, probes, "l3vpn")]]))
        print(f"| {label} | {' | '.join(cells)} | {l3vpn} |")
    on = summary([r.whole for r in records[("after", "true", "slice")]])
    ratio = on["p50"] / bare["p50"]
    print(f"\nafter, reachability on: slice orderDate→completionDate / bare p50 = {ratio:.1f}x")


def print_pauses(
    pauses: dict[tuple[str, str, str], list[list[Pause]]], whole_run: dict[tuple[str, str], list[Pause]]
) -> None:
    """The serve's garbage collections while each order ran (a checkout without ROM_GC_TRACE: none),
    and over the whole run (start-up and warm-up included)."""
    print(
        "\n| GC in the serve while an order ran | slice: ms per order p50 / max | gen-2 collections"
        " (all orders) | longest pause ms | L3VPN: ms per order p50 / max |"
    )
    print("|---|---|---:|---:|---|")
    for side, probes in SIDES:
        label = f"{side}, reachability {'on' if probes == 'true' else 'off'}"
        cells = []
        for kind in ("slice", "l3vpn"):
            per = [sum(p.ms for p in order) for order in pauses[(side, probes, kind)]]
            cells.append(f"{statistics.median(per):.1f} / {max(per):.1f}")
        every = [p for kind in ("slice", "l3vpn") for order in pauses[(side, probes, kind)] for p in order]
        full = sum(1 for p in every if p.generation == 2)
        longest = max((p.ms for p in every), default=0.0)
        print(f"| {label} | {cells[0]} | {full} | {longest:.1f} | {cells[1]} |")
    for (side, probes), every in whole_run.items():
        if every:
            counts = [sum(1 for p in every if p.generation == g) for g in range(3)]
            full_ms = ", ".join(f"{p.ms:.0f}" for p in every if p.generation == 2)
            print(
                f"\n{side}, reachability {probes}, whole run: collections by generation {counts},"
                f" gen-2 pauses ms [{full_ms}]"
            )


def intake_ab(
    before: str, rounds: int, posts: int, postgres: str = "", serves: int = 1, generator: str = "httpx"
) -> None:
    """Accepted POSTs/s (16 concurrent clients) of both checkouts, alternating per round, and the
    `rom serve` process's CPU milliseconds per accepted POST (user + system, all its threads: the
    figure a loaded machine distorts least); each round parks `posts` more orders on the same 3
    routers (as `bench.order_path` does). `postgres` ("auto" or "auto-fsync"): each side on its
    own private PostgreSQL cluster instead of SQLite. `serves`: this checkout as that many
    `rom serve --reuse-port` processes on one port (their CPU summed). `generator`: "raw" for
    `bench.intake_load` (cheaper per request than httpx; the same orders)."""
    rates: dict[str, list[float]] = {"before": [], "after": []}
    cpu: dict[str, list[float]] = {"before": [], "after": []}
    loads = [os.getloadavg()[0]]
    with ExitStack() as stack:
        old = stack.enter_context(checkout(before))
        endpoints = stack.enter_context(fleet(3))
        urls = {side: stack.enter_context(postgres_url(postgres)) if postgres else "" for side in SIDES_AB}
        clients = {"before": stack.enter_context(rom_serve(endpoints, urls["before"], old))}
        pids = {"before": [serve_pid(clients["before"])]}
        if serves > 1:
            several = rom_serves(endpoints, urls["after"], serves)
            clients["after"], pids["after"] = stack.enter_context(several)
        else:
            clients["after"] = stack.enter_context(rom_serve(endpoints, urls["after"]))
            pids["after"] = [serve_pid(clients["after"])]
        devices = ["r1", "r2", "r3"]
        for r in range(rounds):
            for side, client in clients.items():
                spent = sum(process_cpu(pid) for pid in pids[side])
                url = str(client.base_url)
                if generator == "raw":
                    post_rate = raw_intake(url, devices, posts, 16, posts * r)
                else:
                    post_rate, _ = asyncio.run(intake(url, devices, posts, 1, 16, posts * r))
                cpu[side].append(1e3 * (sum(process_cpu(pid) for pid in pids[side]) - spent) / posts)
                rates[side].append(post_rate)
                loads.append(os.getloadavg()[0])
    database = f"PostgreSQL ({postgres})" if postgres else "SQLite"
    database += f", this checkout as {serves} rom serve processes" if serves > 1 else ""
    print(
        f"# Intake on {database}: {before} (before) and this checkout (after), {rounds} rounds of {posts}, "
        f"{generator} load generator"
    )
    for side in rates:
        each = ", ".join(f"{x:.0f}" for x in rates[side])
        ms_each = ", ".join(f"{x:.1f}" for x in cpu[side])
        print(
            f"{side}: accepted POSTs/s per round {each}; median {summary(rates[side])['p50']:.0f}. "
            f"Server CPU ms per POST {ms_each}; median {summary(cpu[side])['p50']:.1f}"
        )
    print(f"load average (1 min) during the run: {min(loads):.1f} to {max(loads):.1f}")


def serve_pid(client: httpx.Client) -> int:
    """The `rom serve` child of this process that listens on the client's port."""
    port = str(client.base_url.port).encode()
    for entry in Path("/proc").iterdir():
        try:
            cmd = (entry / "cmdline").read_bytes().split(b"\0")
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if parent == os.getpid() and b"serve" in cmd and port in cmd:
            return int(entry.name)
    raise RuntimeError(f"no rom serve on port {port.decode()}")


def process_cpu(pid: int) -> float:
    """Seconds of CPU (user + system, all threads) the process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
