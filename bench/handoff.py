"""The worker's side of the hand-off from an accepted order to its execution, in one process.

Run: .venv/bin/python -m bench.handoff [--orders N]
On a fresh SQLite database with two devices (no network): each round submits one L3VPN order on
pe1 + pe2 (as `POST` does, `rom.orders.submit_order`), then times the worker's claim-and-start of
it (`OrderWorker._claim_next`: the runnable read, the claim's compare-and-set with the device
locks, the order's read and its `started` step, one commit), and its parts with cProfile for the
last run. The order is then released (devices unlocked) so the next one can be claimed.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._harness import summary
from core.settings import Settings
from core.tmf652 import ResourceOrderCreate
from inventory.context import Context
from inventory.records import Device, upsert_device
from rom import order_store
from rom.orders import submit_order
from rom.worker import OrderWorker


def item(item_id: str, device: str, vlan: int) -> dict[str, Any]:
    values = {
        "device": device,
        "vrfName": f"V{vlan}",
        "routeDistinguisher": "65000:1",
        "interface": "Ethernet2",
        "vlanId": vlan,
        "ipv4Address": "10.20.0.1",
        "prefixLength": 31,
    }
    characteristic = [{"name": k, "value": v} for k, v in values.items()]
    resource = {"resourceCharacteristic": characteristic}
    return {
        "id": item_id,
        "action": "add",
        "resourceSpecification": {"id": "l3vpn-endpoint"},
        "resource": resource,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="print the profile of the second half")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rom-bench-handoff-") as var:
        settings = Settings(var_dir=Path(var), lease_seconds=30, order_threads=1)
        ctx = Context.create(settings)
        with ctx.transaction() as session:
            for name in ("pe1", "pe2"):
                upsert_device(session, Device(name=name, host="127.0.0.1", port=1, platform="rom-router"))
        worker = OrderWorker(ctx, threads=1)
        took: list[float] = []
        cpu: list[float] = []  # the claiming thread's CPU seconds (a loaded machine distorts it least)
        profile = cProfile.Profile()
        for n in range(args.orders):
            body = {"orderItem": [item("1", "pe1", 100 + n), item("2", "pe2", 100 + n)]}
            submit_order(ctx, ResourceOrderCreate.model_validate(body), "c")
            start, cpu_start = time.perf_counter(), time.thread_time()
            if n >= args.orders // 2:
                profile.enable()
            claimed, _ = worker._claim_next()
            profile.disable()
            took.append(time.perf_counter() - start)
            cpu.append(time.thread_time() - cpu_start)
            assert claimed is not None
            with ctx.transaction() as session:
                order_store.release_devices(session, claimed.id)
        ctx.engine.dispose()
    stats = summary(took[5 : args.orders // 2])  # without the profiler
    print(
        f"claim + start of a just-accepted order: p50 {stats['p50'] * 1e3:.2f} ms,"
        f" p99 {stats['p99'] * 1e3:.2f} ms; CPU p50 {summary(cpu[5 : args.orders // 2])['p50'] * 1e3:.2f} ms"
    )
    if args.profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
