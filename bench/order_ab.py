"""This checkout's order path beside an earlier commit's, interleaved on one fleet (fair on a loaded machine).

Run: .venv/bin/python -m bench.order_ab [--before REF] [--rounds N]
The 5G slice lab (simulators in their own process). Four `rom serve` processes run at once, each on
its own database: REF and this checkout, each with reachability checks on and off. Each round sends
one 5G slice order and one 2-PE L3VPN order (pe1, pe2 through p1: two probes of 3 pings) to each, one
at a time, so load swings hit every cell alike. In each round too, ROM's bare network transaction
on a slice's payloads (no API, database or checks, pooled sessions), the issue's "2x" yardstick. The slice
orders of the "after" side name the N3 probe's ends (gnbPeDevice, upfN3Address); REF's do not
(a checkout before that check refuses them).
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bench._harness import REPO, fleet, l3vpn_order, rom_serve, slice_order, summary
from bench.order_path import intake, ms, rom_latency, transaction_only
from bench.order_relayer import checkout

BEFORE = "46cb9b3"
SIDES = [("before", "true"), ("before", "false"), ("after", "true"), ("after", "false")]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--before", default=BEFORE, help="the earlier commit to run beside this checkout")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument(
        "--intake",
        type=int,
        default=0,
        metavar="POSTS",
        help="instead: intake (orders parked for a future start) on 3 routers, POSTS per round and side",
    )
    args = parser.parse_args()
    if args.intake:
        intake_ab(args.before, args.rounds, args.intake)
        return
    samples: dict[tuple[str, str, str], list[float]] = {}
    bare_samples: list[float] = []
    with checkout(args.before) as old, fleet(topology=REPO / "topologies" / "5g-slice.clab.yml") as lab:
        repos = {"before": old, "after": REPO}
        serves: dict[tuple[str, str], Any] = {}
        try:
            for number, (side, probes) in enumerate(SIDES):
                cm = rom_serve(lab, repo=repos[side], ROM_REACHABILITY_CHECKS=probes)
                client = cm.__enter__()
                serves[(side, probes)] = (cm, client)
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
                        samples.setdefault((*key, kind), []).extend(rom_latency(client, [body]))
                # the yardstick in the same round, so it sees the same load
                bare_samples.extend(transaction_only(lab, [slice_order(90_000 + r)]))
        finally:
            for cm, _ in serves.values():
                cm.__exit__(None, None, None)
        bare = summary(bare_samples)
    stats = {k: summary(v) for k, v in samples.items()}
    print(
        f"# Order path: {args.before} (before) and this checkout (after), {args.rounds} rounds interleaved\n"
    )
    print("| POST→completed p50 / p99 ms | 5G slice | L3VPN pe1+pe2 |")
    print("|---|---|---|")
    for side, probes in SIDES:
        label = f"{side}, reachability {'on' if probes == 'true' else 'off'}"
        print(f"| {label} | {ms(stats[(side, probes, 'slice')])} | {ms(stats[(side, probes, 'l3vpn')])} |")
    print(f"| bare transaction (slice payloads, no order machinery) | {ms(bare)} | |")
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


def intake_ab(before: str, rounds: int, posts: int) -> None:
    """Accepted POSTs/s (16 concurrent clients, SQLite) of both checkouts, alternating per round;
    each round parks `posts` more orders on the same 3 routers (as `bench.order_path` does)."""
    rates: dict[str, list[float]] = {"before": [], "after": []}
    with checkout(before) as old, fleet(3) as endpoints:
        repos = {"before": old, "after": REPO}
        serves = {side: rom_serve(endpoints, repo=repo) for side, repo in repos.items()}
        clients = {side: cm.__enter__() for side, cm in serves.items()}
        try:
            devices = ["r1", "r2", "r3"]
            for r in range(rounds):
                for side, client in clients.items():
                    post_rate, _ = asyncio.run(intake(str(client.base_url), devices, posts, 1, 16, posts * r))
                    rates[side].append(post_rate)
        finally:
            for cm in serves.values():
                cm.__exit__(None, None, None)
    print(f"# Intake: {before} (before) and this checkout (after), {rounds} rounds of {posts} POSTs\n")
    for side, found in rates.items():
        each = ", ".join(f"{x:.0f}" for x in found)
        print(f"{side}: accepted POSTs/s per round {each}; median {summary(found)['p50']:.0f}")


if __name__ == "__main__":
    main()
