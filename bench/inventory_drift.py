"""Inventory and drift benchmark (issue 6).

    .venv/bin/python bench/inventory_drift.py [--devices 1000] [--resources 100000] [--workers 100]
                                              [--no-postgres] [--write bench/RESULTS.md]

Drift: a simulator fleet of N routers in its own process, one l3vpn-endpoint resource per device in
a SQLite inventory. `remediate --apply` pushes every intent (one network-wide transaction); then a
full compare of every resource (which records fingerprints), a fingerprint check-sync, and the
default report after one out-of-band change (check-sync first, one full compare). Inventory: list
and filter latency of the TMF639 list path (`fetch_page`) with M resources, on SQLite and on a
private PostgreSQL cluster (lab/postgres.py).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from sqlalchemy import insert

from bench._harness import fleet, replace_section, summary
from core.query import PageRequest
from core.settings import Settings
from drift.reconcile import reconcile
from drift.remediate import remediate
from inventory.context import Context
from inventory.records import Device, Resource, upsert_device
from inventory.resources import list_resources_page
from lab.containerlab import trust_host_keys

SECTION = "## Inventory and drift (issue 6)"
RD_CHANGE = (
    '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><network-instances '
    'xmlns="http://openconfig.net/yang/network-instance"><network-instance><name>B0</name><config>'
    "<route-distinguisher>65000:999</route-distinguisher></config></network-instance></network-instances></config>"
)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def values(n: int) -> dict[str, Any]:
    return {
        "device": f"r{n + 1}",
        "vrfName": f"B{n}",
        "routeDistinguisher": f"65000:{n}",
        "interface": "Ethernet2",
        "vlanId": 100,
        "ipv4Address": f"10.{n // 250 % 250}.{n % 250}.1",
        "prefixLength": 31,
        "description": "",
    }


def drift_rows(count: int, workers: int) -> list[tuple[str, str, str]]:
    rows = []
    with fleet(count) as endpoints, tempfile.TemporaryDirectory() as var:
        ctx = Context.create(Settings(var_dir=Path(var), workers=workers, confirm_timeout=120))
        trust_host_keys(ctx.settings.effective_known_hosts, endpoints)
        with ctx.transaction() as session:
            for ep in endpoints:
                upsert_device(
                    session,
                    Device(
                        name=ep["name"], host=ep["host"], port=ep["netconf_port"], platform=ep["platform"]
                    ),
                )
            for n in range(count):
                session.add(
                    Resource(
                        id=str(uuid.uuid4()),
                        name=f"vpn{n}",
                        spec_id="l3vpn-endpoint",
                        spec_version="1.0",
                        device=f"r{n + 1}",
                        characteristics=values(n),
                    )
                )
        seconds, pushed = timed(lambda: remediate(ctx, apply=True))
        assert pushed.applied, pushed.errors
        rows.append((f"remediate --apply: push {count} intents in one transaction", f"{seconds:.2f} s", "—"))
        seconds, report = timed(lambda: reconcile(ctx, mode="compare-all"))
        assert all(r.in_sync for r in report), [r for r in report if not r.in_sync][:3]
        rows.append((f"full compare, {count} devices (records fingerprints)", f"{seconds:.2f} s", "≤ 30 s"))
        checks = [timed(lambda: reconcile(ctx, mode="check-sync"))[0] for _ in range(3)]
        rows.append(
            (
                f"fingerprint check-sync, {count} devices (median of 3)",
                f"{summary(checks)['p50']:.2f} s",
                "≤ 5 s",
            )
        )
        control = next(iter(endpoints), {}).get("control_url") or os.environ.get("ROM_BENCH_CONTROL_URL")
        if control:
            httpx.post(
                f"{control}/faults", json={"kind": "config-change", "device": "r1", "config": RD_CHANGE}
            ).raise_for_status()
            seconds, report = timed(lambda: reconcile(ctx))
            assert sum(not r.in_sync for r in report) == 1
            rows.append(
                (
                    "report after 1 out-of-band change (check-sync, then 1 full compare)",
                    f"{seconds:.2f} s",
                    "—",
                )
            )
        ctx.engine.dispose()
    return rows


def list_rows(label: str, url: str, count: int) -> list[tuple[str, str, str]]:
    with tempfile.TemporaryDirectory() as var:
        ctx = Context.create(Settings(var_dir=Path(var), database_url=url))
        with ctx.transaction() as session:
            upsert_device(session, Device(name="r1", host="127.0.0.1", port=1, platform="rom-router"))
        batch = []
        for n in range(count):
            batch.append(
                {
                    "id": f"{n:08d}",
                    "name": f"vpn{n:06d}",
                    "category": "transport",
                    "spec_id": "l3vpn-endpoint",
                    "spec_version": "1.0",
                    "device": "r1",
                    "characteristics": values(n),
                    "extra": {},
                    "resource_status": "alarm" if n % 100 == 0 else "available",
                    "order_id": "",
                    "order_item_id": "",
                }
            )
            if len(batch) == 10_000 or n == count - 1:
                with ctx.transaction() as session:
                    session.execute(insert(Resource), batch)
                batch = []
        queries = {
            "first page (100), sorted by name": PageRequest(limit=100),
            "filter resourceStatus=alarm (1 %), page of 100": PageRequest(
                (("resourceStatus", "alarm"),), limit=100
            ),
            "page at offset 50,000": PageRequest(offset=50_000, limit=100),
            "by id": PageRequest((("id", f"{count // 2:08d}"),), limit=1),
        }
        rows = []
        for name, page in queries.items():
            samples = [timed(partial(list_resources_page, ctx, page))[0] for _ in range(20)]
            rows.append(
                (
                    f"{label}, {count:,} resources: {name} (p50 of 20)",
                    f"{summary(samples)['p50'] * 1000:.1f} ms",
                    "—",
                )
            )
        ctx.engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=100)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    rows = drift_rows(args.devices, args.workers)
    rows += list_rows("SQLite", "", args.resources)
    if not args.no_postgres:
        from lab.postgres import PostgresServer

        server = PostgresServer()
        server.start()
        try:
            rows += list_rows("PostgreSQL", server.url, args.resources)
        finally:
            server.stop()
    table = [
        "| measurement | result | goal |",
        "|---|---:|---:|",
        *(f"| {a} | {b} | {c} |" for a, b, c in rows),
    ]
    print("\n".join(table))
    if args.write:
        command = " ".join(["bench/inventory_drift.py", *sys.argv[1:]])
        body = (
            f"{SECTION}\n\nMeasured {date.today()} on {platform.machine()}, "
            f"CPython {platform.python_version()}, {os.cpu_count()} vCPU, Nornir workers {args.workers}; "
            "the fleet is one `python -m sims` process.\n\n"
            f"```\n.venv/bin/python {command}\n```\n\n" + "\n".join(table) + "\n"
        )
        replace_section(args.write, SECTION, body)


if __name__ == "__main__":
    main()
