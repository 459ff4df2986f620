"""Console page latency (issue 19): the order list with 10,000 orders on one page and the topology
of 1,000 devices, served by a real `rom serve` over loopback HTTP.

    .venv/bin/python bench/console_pages.py [--orders 10000] [--devices 1000] [--runs 10]

The SQLite inventory is filled directly (completed orders, so the worker leaves them alone, each
with the stored TMF document of docs/examples/l3vpn-order.json, ~1.5 KiB; one resource per device,
every tenth in alarm); the drift monitor is off. Each figure is the time from
sending the GET to the last byte of the page, median of `--runs`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from bench._harness import summary
from core.settings import Settings
from inventory.context import Context
from inventory.records import Device, Resource
from lab.support import serving
from rom.order_store import OrderRow

EXAMPLE = json.loads((Path(__file__).resolve().parents[1] / "docs/examples/l3vpn-order.json").read_text())
SUBMITTER = {"name": "som-bench", "role": "submitter", "@referredType": "APIClient"}


def fill(var_dir: Path, orders: int, devices: int) -> None:
    ctx = Context.create(Settings(var_dir=var_dir))
    start = datetime.now(UTC) - timedelta(days=1)
    rows = []
    for i in range(orders):
        oid = str(uuid.uuid4())
        items = [item | {"state": "completed"} for item in EXAMPLE["orderItem"]]
        doc = EXAMPLE | {"id": oid, "state": "completed", "orderItem": items, "relatedParty": [SUBMITTER]}
        at = start + timedelta(seconds=i)
        rows.append(
            {
                "id": oid, "state": "completed", "order_date": at, "updated": at, "request_hash": "-",
                "correlation_id": f"bench-{i}", "doc": doc, "request": {}, "devices": [], "attempts": 1,
                "submitted_by": "som-bench", "name": EXAMPLE["name"],
            }
        )  # fmt: skip
    with ctx.transaction() as session:
        session.execute(insert(OrderRow), rows)
        session.execute(
            insert(Device),
            [{"name": f"r{i}", "host": "127.0.0.1", "port": 830, "platform": "openconfig", "role": "pe",
              "source": "bench"} for i in range(devices)],
        )  # fmt: skip
        session.execute(
            insert(Resource),
            [{"id": f"res-{i}", "name": f"vrf@r{i}", "spec_id": "l3vpn-endpoint", "device": f"r{i}",
              "characteristics": {}, "resource_status": "alarm" if i % 10 == 0 else "available"}
             for i in range(devices)],
        )  # fmt: skip
    ctx.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--devices", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rom-bench-console-") as tmp:
        var_dir = Path(tmp)
        fill(var_dir, args.orders, args.devices)
        env = {**os.environ, "ROM_VAR_DIR": str(var_dir), "ROM_RECONCILE_INTERVAL": "0"}
        env.pop("ROM_DATABASE_URL", None)
        env.pop("ROM_API_KEYS", None)
        with serving(env, var_dir / "serve.log", timeout=120) as client:
            for label, path in [
                (f"order list, {args.orders} orders on one page", f"/console/orders?limit={args.orders}"),
                ("order list, first page (100)", "/console/orders"),
                (f"topology, {args.devices} devices", "/console/topology"),
            ]:
                samples = []
                for _ in range(args.runs + 1):
                    began = time.perf_counter()
                    response = client.get(path)
                    elapsed = time.perf_counter() - began
                    assert response.status_code == 200, response.text[:300]
                    samples.append(elapsed * 1000)
                s = summary(samples[1:])  # the first request warms the templates and caches
                print(f"{label}: median {s['p50']:.0f} ms, p99 {s['p99']:.0f} ms, "
                      f"{len(response.content) // 1024} KiB (n={s['n']})")  # fmt: skip


if __name__ == "__main__":
    main()
