"""What the YANG check (`ROM_YANG_PATH`, intent.yang) costs per order and per 1,000-device transaction.

    .venv/bin/python bench/yang_cost.py [--rounds 30] [--devices 1000] [--push-rounds 2] [--no-push]
        [--write bench/RESULTS.md]

In process, no `rom serve` (what intake and the executor call, timed around the calls):

- **Per order**: the example orders (`docs/examples/l3vpn-order.json`, 2 NETCONF items on rom-router;
  `docs/examples/5g-slice-order.json`, slice-core NETCONF on a UPF and an SMF, slice-ran gNMI on a gNB,
  transport-qos gNMI on a PE). Validation off = planning and rendering every payload (what intake
  does anyway); on = the same plus the check (`intent.yang.check.check_request` given the payloads
  intake rendered, as `rom.orders` calls it: only items whose values intake allocated are planned
  and rendered again); the second pass before stage = the check given intake's stamp (it only
  hashes the payloads). Medians of `--rounds`, modules loaded (the load, once per process, is
  reported on its own).
- **Per 1,000-device transaction**: the `l3vpn-endpoint` on every router of a fleet (one VRF, a
  distinct /30 per device, so no two payloads are alike), as 10 TMF orders of 100 items (the
  largest order ROM takes): planning + rendering (validation off), then the check alone, for all of
  them; wall and CPU time (the CPU time of this process: what load on the machine inflates least).
  Beside it the transaction itself on a real fleet of `--devices` simulated routers
  (`python -m sims --no-gnmi` in its own process; `drivers.transaction.run_transaction`, pooled
  sessions, as bench/fleet_transaction.py): round 1 opens the sessions, later rounds reuse them.
  The ratio lines divide the check (wall) by round 1 and by the pooled rounds' median.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import replace_section
from bench.fleet_transaction import ORDER_ITEMS, machine, order, render, rom_round
from bench.netconf_fleet_push import fleet_targets
from core.errors import RomError
from core.tmf652 import ResourceOrderCreate
from drivers.pool import SessionPool
from intent.catalog import Catalog
from intent.planner import Intended, PlannedItem, intended_for, plan_order
from intent.yang import shapes
from intent.yang.check import check_items, check_request
from intent.yang.library import data_model
from intent.yang.platforms import PLATFORM_MODULES

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO.parent / "shared" / "reference" / "yang"
YANG_PATH = [REFERENCE / "openconfig", REFERENCE / "3gpp", REPO / "yang"]
PLATFORMS = {
    "pe1": "rom-router",
    "pe2": "rom-router",
    "upf1": "rom-5gc",
    "smf1": "rom-5gc",
    "gnb1": "rom-ran",
}
HEADING = "## YANG validation cost (issue 13)"
GOAL_SHARE = 0.05


def example(name: str, allocated: bool = True) -> ResourceOrderCreate:
    """An example order; `allocated`: with the QoS scheduler's sequence intake allocates from a pool."""
    body: dict[str, Any] = json.loads((REPO / "docs" / "examples" / name).read_text())
    for item in body["orderItem"]:
        chars = item["resource"]["resourceCharacteristic"]
        if item["resourceSpecification"]["id"] == "transport-qos" and allocated:
            chars.append({"name": "schedulerSequence", "value": 1})
    return ResourceOrderCreate.model_validate(body)


def planned(catalog: Catalog, body: ResourceOrderCreate, platforms: dict[str, str]) -> list[PlannedItem]:
    items = plan_order(body, catalog, platforms)
    for item in items:
        intended_for(catalog, item)  # rendering: what intake and the executor do with validation off
    return items


def median_ms(fn: Callable[[], object], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def intake_check(
    catalog: Catalog, body: ResourceOrderCreate, platforms: dict[str, str], received: ResourceOrderCreate
) -> Callable[[], str | None]:
    """What validation adds to intake: `check_request` on the stored request (`body`, allocated
    values included), given the items intake planned from the order as `received` and the payloads
    it rendered from them (rom.orders renders them anyway, for the ownership check)."""
    request = body.model_dump(mode="json", by_alias=True, exclude_none=True)
    items = plan_order(received, catalog, platforms)
    rendered = {i.item_id: renders(catalog, i) for i in items if i.action in ("add", "modify")}
    yang_path = os.pathsep.join(map(str, YANG_PATH))
    return partial(check_request, catalog, request, platforms, {}, yang_path, items, rendered)


def renders(catalog: Catalog, item: PlannedItem) -> list[Intended]:
    """What intake's ownership check renders for an item (nothing when the item as received does
    not render yet: a value intake allocates is missing; `check_request` renders it once filled)."""
    try:
        return intended_for(catalog, item)
    except RomError:
        return []


def per_order(catalog: Catalog, rounds: int) -> list[tuple[str, float, float, float]]:
    """(order, off ms, check ms, second pass with the stamp ms) per example order."""
    rows = []
    for name in ("l3vpn-order.json", "5g-slice-order.json"):
        body = example(name)
        items = plan_order(body, catalog, PLATFORMS)
        rendered = [(i.item_id, w) for i in items for w in intended_for(catalog, i)]
        check = intake_check(catalog, body, PLATFORMS, example(name, allocated=False))
        stamp = check()
        off = median_ms(partial(planned, catalog, body, PLATFORMS), rounds)
        again = median_ms(partial(check_items, catalog, items, PLATFORMS, YANG_PATH, stamp, rendered), rounds)
        rows.append((name, off, median_ms(partial(forget_values, check), rounds), again))
    return rows


def forget_values(check: Callable[[], object]) -> object:
    """`check` without the leaf answers remembered from the previous round (another order of the
    same shape brings other values; the shape itself stays known, as in a running server)."""
    getattr(shapes, "_ANSWERS", {}).clear()
    return check()


def fleet_orders(devices: int) -> tuple[list[ResourceOrderCreate], dict[str, str]]:
    names = [f"r{i:04d}" for i in range(1, devices + 1)]
    orders = [order(names[s : s + ORDER_ITEMS], 7, s) for s in range(0, devices, ORDER_ITEMS)]
    return orders, dict.fromkeys(names, "rom-router")


def per_transaction(catalog: Catalog, devices: int, runs: int = 3) -> tuple[float, float, float]:
    """(off s, check s, check CPU s) for the orders of one `devices`-router transaction, medians
    of `runs` (the first check of a new shape, yangson's full one, is in every run: a fresh cache)."""
    orders, platforms = fleet_orders(devices)
    checks = [intake_check(catalog, body, platforms, body) for body in orders]
    offs, ons, cpus = [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        for body in orders:
            planned(catalog, body, platforms)
        offs.append(time.perf_counter() - t0)
        forget_shapes()
        t0, c0 = time.perf_counter(), time.process_time()
        for check in checks:
            check()
        ons.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return statistics.median(offs), statistics.median(ons), statistics.median(cpus)


def forget_shapes() -> None:
    """Empty what the check remembers of shapes and leaf values (each run starts cold)."""
    for name in ("_KNOWN", "_ANSWERS"):
        getattr(shapes, name, {}).clear()


def transaction(catalog: Catalog, devices: int, rounds: int) -> tuple[float, float]:
    """(round 1 s, median of later rounds s) pushing the l3vpn-endpoint to a fleet of `devices`."""
    with fleet_targets(devices, external=True) as targets:
        pool = SessionPool()
        samples = []
        try:
            for n in range(1, rounds + 2):
                payloads = render(catalog, targets, 200 + n)
                t0 = time.perf_counter()
                rom_round(targets, pool, 100, payloads)
                samples.append(time.perf_counter() - t0)
                print(f"  transaction round {n}: {samples[-1]:.2f} s", file=sys.stderr, flush=True)
        finally:
            pool.close_all()
    return samples[0], statistics.median(samples[1:])


def section(args: argparse.Namespace, command: str) -> str:
    catalog = Catalog.load()
    loads = []
    for platform, modules in sorted(PLATFORM_MODULES.items()):
        t0 = time.perf_counter()
        data_model(modules, YANG_PATH)
        loads.append(f"{platform} {time.perf_counter() - t0:.2f} s")
    orders = per_order(catalog, args.rounds)
    off, check, cpu = per_transaction(catalog, args.devices)
    orders_n = -(-args.devices // ORDER_ITEMS)
    lines = [
        HEADING,
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on a shared machine (several engineers' tests and "
        f"benchmarks running; {machine()}). Load average at the start: {load()}.",
        "",
        "```",
        command,
        "```",
        "",
        "Modules: upstream OpenConfig and 3GPP TS 28.541 Release 17 (`../shared/reference/yang/`) "
        "and `yang/`.",
        f"Loading each platform's modules, once per process: {', '.join(loads)}.",
        "",
        f"Per order (medians of {args.rounds}). Validation off: intake plans and renders every payload; "
        "on, it also calls `check_request` (given the payloads intake rendered; items whose values "
        "intake allocated are planned and rendered again; then the check; the leaf answers "
        "remembered from the previous round are forgotten); before stage the executor only "
        "compares the payloads with intake's stamp:",
        "",
        "| order | off: plan + render ms | on: + check at intake ms | + before stage (stamp) ms | on / off |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, o, n, again in orders:
        lines.append(f"| `{name}` | {o:.1f} | {n:.1f} | {again:.2f} | {(o + n + again) / o:.2f}x |")
    lines += [
        "",
        f"Per {args.devices:,}-device transaction (`l3vpn-endpoint` on every router, "
        f"{args.devices // ORDER_ITEMS} orders of {ORDER_ITEMS} items, no two payloads alike; "
        "medians of 3 runs, each with the check's memory of shapes and leaf values emptied, the "
        "transaction's rounds as said):",
        "",
        "| what | s |",
        "|---|---:|",
        f"| validation off: planning + rendering {args.devices:,} payloads | {off:.2f} |",
        f"| validation on: + the check at intake (`check_request`, {orders_n} orders), wall | {check:.2f} |",
        f"| the same check, CPU time of the process | {cpu:.2f} |",
    ]
    if args.push:
        cold, warm = transaction(catalog, args.devices, args.push_rounds)
        lines += [
            f"| the transaction on {args.devices:,} simulated routers, round 1 (opens the sessions) "
            f"| {cold:.2f} |",
            f"| the transaction, pooled sessions (median of {args.push_rounds}) | {warm:.2f} |",
            "",
            f"- Ratio: the check is {check / cold:.1%} of round 1 and {check / warm:.1%} of a pooled-session "
            f"transaction (goal ≤ {GOAL_SHARE:.0%} of the pooled one): "
            f"{'met' if check <= GOAL_SHARE * warm else 'NOT met'}; "
            f"{check / args.devices * 1000:.2f} ms per payload.",
        ]
    return "\n".join(lines) + "\n"


def load() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--push-rounds", type=int, default=2, help="pooled-session rounds after round 1")
    parser.add_argument("--no-push", dest="push", action="store_false", help="skip the real transaction")
    parser.add_argument("--write", type=Path, help="replace this benchmark's section of a results file")
    args = parser.parse_args()
    command = " ".join([".venv/bin/python bench/yang_cost.py", *sys.argv[1:]])
    text = section(args, command)
    print(text)
    if args.write:
        replace_section(args.write, HEADING, text)


if __name__ == "__main__":
    main()
