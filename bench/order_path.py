"""Order-path benchmarks: POST→completed latency, sustained orders/s, API intake — with peers.

Run: .venv/bin/python -m bench.order_path [--postgres URL] [--quick]
Peers in the same run: a glue script on stock ncclient (lock/edit/commit/unlock per device, no
read-back, no confirmed commit) and ROM's own network-wide transaction without the order machinery.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import itertools
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench._harness import REPO, fleet, l3vpn_order, rom_serve, sim_targets, slice_order, summary
from core.tmf652 import ResourceOrderCreate
from drivers.nornir_plugins import make_nornir
from drivers.transaction import run_transaction
from intent.catalog import Catalog
from intent.planner import intended_for, participant_payloads, plan_order
from lab.containerlab import trust_host_keys
from lab.postgres import PostgresServer
from lab.support import netconf_connect

ORDERS = "/tmf-api/resourceOrderingManagement/v4/resourceOrder"
FINAL = {"completed", "failed", "partial", "cancelled", "rejected"}


def wait_final(client: httpx.Client, order_id: str) -> str:
    while True:
        state: str = client.get(f"{ORDERS}/{order_id}", params={"fields": "state"}).json()["state"]
        if state in FINAL:
            return state
        time.sleep(0.002)


def rom_latency(client: httpx.Client, bodies: Sequence[dict[str, Any]]) -> list[float]:
    samples = []
    for body in bodies:
        start = time.perf_counter()
        order_id = client.post(ORDERS, json=body).json()["id"]
        state = wait_final(client, order_id)
        samples.append(time.perf_counter() - start)
        assert state == "completed", client.get(f"{ORDERS}/{order_id}").json().get("note")
    return samples


SCHEDULER_SEQUENCES = itertools.count(1)


def with_pool_values(body: dict[str, Any]) -> dict[str, Any]:
    """What intake's pools would fill in: a transport-qos item's scheduler sequence (the peer skips
    intake, so it numbers them itself, one per order, unique on the interface)."""
    for item in body["orderItem"]:
        if item.get("resourceSpecification", {}).get("id") == "transport-qos":
            chars = item["resource"]["resourceCharacteristic"]
            if not any(c["name"] == "schedulerSequence" for c in chars):
                chars.append({"name": "schedulerSequence", "value": next(SCHEDULER_SEQUENCES)})
    return body


def payloads_for(endpoints: list[dict[str, Any]], body: dict[str, Any]) -> dict[str, dict[str, str]]:
    catalog = Catalog.load()
    platforms = {ep["name"]: ep["platform"] for ep in endpoints}
    order = ResourceOrderCreate.model_validate(with_pool_values(copy.deepcopy(body)))
    items = plan_order(order, catalog, platforms)
    return participant_payloads([w for item in items for w in intended_for(catalog, item)])


def glue_script(endpoints: list[dict[str, Any]], devices: Sequence[str], n: int, offset: int) -> list[float]:
    where = {ep["name"]: ep for ep in endpoints}
    samples = []
    for i in range(n):
        payloads = payloads_for(endpoints, l3vpn_order(devices, offset + i))
        start = time.perf_counter()
        for device, per_protocol in payloads.items():
            payload = per_protocol["netconf"]
            ep = where[device]
            with (
                netconf_connect(ep["host"], ep["netconf_port"]) as m,
                m.locked("candidate"),
            ):
                m.edit_config(target="candidate", config=payload)
                m.commit()
        samples.append(time.perf_counter() - start)
    return samples


def transaction_only(endpoints: list[dict[str, Any]], bodies: Sequence[dict[str, Any]]) -> list[float]:
    """ROM's network-wide transaction on the same payloads, without API, database or read-back."""
    known_hosts = Path(tempfile.mkdtemp(prefix="rom-bench-known-hosts-")) / "known_hosts"
    trust_host_keys(known_hosts, endpoints)
    targets = sim_targets(endpoints, known_hosts)
    samples = []
    for i, body in enumerate(bodies):
        payloads = payloads_for(endpoints, body)
        start = time.perf_counter()
        nr = make_nornir([t for t in targets if t.name in payloads], workers=len(payloads))
        outcome = run_transaction(nr, payloads, confirm_timeout=60, persist_id=f"bench-{i}")
        samples.append(time.perf_counter() - start)
        assert outcome.ok, outcome.errors
    return samples


def sustained(client: httpx.Client, devices: Sequence[str], count: int) -> float:
    """Orders/s while `count` single-device orders spread over `devices` are in flight."""
    start = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        ids = list(
            pool.map(
                lambda i: client.post(
                    ORDERS,
                    json=l3vpn_order([devices[i % len(devices)]], 1000 + i),
                ).json()["id"],
                range(count),
            )
        )
    while True:
        done = client.get(ORDERS, params={"state": ",".join(FINAL), "limit": 1}).headers["X-Total-Count"]
        if int(done) >= len(ids) + 0:
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    failed = client.get(ORDERS, params={"state": "failed", "limit": 3}).json()
    assert not failed, [n["text"] for o in failed for n in o.get("note", [])]
    return count / elapsed


async def intake(
    base_url: str, devices: Sequence[str], posts: int, gets: int, concurrency: int, first: int = 0
) -> tuple[float, float]:
    """Accepted POSTs/s (orders that wait for a future start) and GETs/s by id."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        gate = asyncio.Semaphore(concurrency)

        async def post(i: int) -> str:
            body = {
                **l3vpn_order([devices[i % len(devices)]], 3000 + first + i),
                "requestedStartDate": "2099-01-01T00:00:00Z",
            }
            async with gate:
                response = await client.post(ORDERS, json=body)
            assert response.status_code == 201, response.text
            return str(response.json()["id"])

        async def get(order_id: str) -> None:
            async with gate:
                assert (await client.get(f"{ORDERS}/{order_id}")).status_code == 200

        start = time.perf_counter()
        ids = await asyncio.gather(*(post(i) for i in range(posts)))
        post_rate = posts / (time.perf_counter() - start)
        start = time.perf_counter()
        await asyncio.gather(*(get(ids[i % len(ids)]) for i in range(gets)))
        return post_rate, gets / (time.perf_counter() - start)


@contextmanager
def postgres_url(given: str) -> Iterator[str]:
    if given not in ("auto", "auto-fsync"):
        yield given
        return
    server = PostgresServer(fsync=given == "auto-fsync")
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def ms(stats: dict[str, float]) -> str:
    return f"{stats['p50'] * 1e3:.1f} / {stats['p99'] * 1e3:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--postgres",
        default="",
        help="also measure intake on PostgreSQL: a URL, 'auto' for a private cluster (fsync off) or "
        "'auto-fsync' (fsync on)",
    )
    parser.add_argument("--quick", action="store_true", help="fewer samples")
    args = parser.parse_args()
    n, burst, posts = (10, 100, 200) if args.quick else (40, 500, 1000)
    three = ["r1", "r2", "r3"]
    l3vpn = [l3vpn_order(three, 300 + i) for i in range(n)]
    print(f"# Order path (n={n} sequential orders per row; {burst} orders over 100 devices)\n")
    with fleet(topology=REPO / "topologies" / "5g-slice.clab.yml") as lab:
        slice_txn = summary(transaction_only(lab, [slice_order(i) for i in range(n)]))
        with rom_serve(lab) as client:
            rom_latency(client, [slice_order(1000 + i) for i in range(3)])  # warm-up
            rom_slice = summary(rom_latency(client, [slice_order(2000 + i) for i in range(n)]))
    with fleet(100) as endpoints:
        # Distinct number ranges per phase: the VLAN (n % 4094) and VRF never collide on a device.
        peer_glue = summary(glue_script(endpoints, three, n, 0))
        peer_txn = summary(transaction_only(endpoints, [l3vpn_order(three, 100 + i) for i in range(n)]))
        # routers without links: reachability probes would fail (bench.reachability measures them)
        with rom_serve(endpoints, ROM_REACHABILITY_CHECKS="false") as client:
            rom_latency(client, [l3vpn_order(three, 200 + i) for i in range(3)])  # warm-up
            rom = summary(rom_latency(client, l3vpn))
            rate = sustained(client, [f"r{i}" for i in range(1, 101)], burst)
            sqlite = asyncio.run(intake(str(client.base_url), three, posts, posts, 16))
        pg = None
        if args.postgres:
            no_probes = {"ROM_REACHABILITY_CHECKS": "false"}
            with postgres_url(args.postgres) as url, rom_serve(endpoints, url, **no_probes) as client:
                pg = asyncio.run(intake(str(client.base_url), three, posts, posts, 16))
    print("| 5G slice order (gnb1 + pe1 over gNMI, upf1 + smf1 over NETCONF) | p50 / p99 ms | vs ROM p50 |")
    print("|---|---|---|")
    for label, stats in (
        ("ROM order POST→completed (goal p50 ≤ 300, p99 ≤ 1000)", rom_slice),
        ("peer: ROM transaction only, no API/database/read-back", slice_txn),
    ):
        print(f"| {label} | {ms(stats)} | {stats['p50'] / rom_slice['p50']:.2f} |")
    print()
    print("| 3-device L3VPN order (pe routers, NETCONF) | p50 / p99 ms | vs ROM p50 |")
    print("|---|---|---|")
    rows = [
        ("ROM order POST→completed (stage, confirmed commit, read-back, confirm, record)", rom),
        ("peer: ROM transaction only, no order machinery", peer_txn),
        ("peer: glue script, stock ncclient, connect+lock+edit+commit per device", peer_glue),
    ]
    for label, stats in rows:
        print(f"| {label} | {ms(stats)} | {stats['p50'] / rom['p50']:.2f} |")
    print(f"\nsustained: {rate:.1f} orders/s ({burst} single-device orders over 100 simulated devices)")
    print(
        f"intake on SQLite: {sqlite[0]:.0f} accepted POSTs/s, {sqlite[1]:.0f} GETs/s (16 concurrent clients)"
    )
    if pg:
        print(
            f"intake on PostgreSQL: {pg[0]:.0f} accepted POSTs/s, {pg[1]:.0f} GETs/s (16 concurrent clients)"
        )


if __name__ == "__main__":
    main()
