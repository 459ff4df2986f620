"""A cheap intake load generator: raw HTTP/1.1 keep-alive POSTs from several processes.

The httpx generator (`bench.order_path.intake`, 16 clients in one Python process) needs CPU of the
same order per request as the server it measures, on a 2-core machine. This one builds every body
before the clock starts and speaks HTTP/1.1 itself on asyncio streams (one write and two reads per
POST), spread over `processes` processes with `concurrency` connections in all. What it measures is
the same: accepted POSTs/s of L3VPN orders parked for a future start on the given devices (each
order on one device, round robin, unique by its number), every answer checked to be a 201.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import time
from collections.abc import Sequence
from multiprocessing.synchronize import Event
from queue import Empty
from typing import Any
from urllib.parse import urlsplit

from bench._harness import l3vpn_order

ORDERS = "/tmf-api/resourceOrderingManagement/v4/resourceOrder"


def request_bytes(host: str, device: str, n: int) -> bytes:
    body = json.dumps(
        {**l3vpn_order([device], n), "requestedStartDate": "2099-01-01T00:00:00Z"}, separators=(",", ":")
    ).encode()
    head = (
        f"POST {ORDERS} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _connection(host: str, port: int, requests: list[bytes]) -> list[str]:
    """POST each request in turn on one connection; the failures' first lines (empty: all 201)."""
    reader, writer = await asyncio.open_connection(host, port)
    failures = []
    try:
        for raw in requests:
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            status = head[9:12]
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            answer = await reader.readexactly(length)
            if status != b"201":
                failures.append(f"{status.decode()} {answer[:300].decode(errors='replace')}")
    finally:
        writer.close()
    return failures


async def _run(host: str, port: int, batches: list[list[bytes]]) -> list[str]:
    results = await asyncio.gather(*(_connection(host, port, b) for b in batches))
    return [f for r in results for f in r]


def _worker(
    url: str, jobs: list[tuple[str, int]], connections: int, ready: Any, go: Event, done: Any
) -> None:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    raw = [request_bytes(f"{host}:{port}", device, n) for device, n in jobs]
    batches = [raw[i::connections] for i in range(connections) if raw[i::connections]]
    ready.put(1)
    go.wait()
    done.put(asyncio.run(_run(host, port, batches)))


def raw_intake(
    base_url: str,
    devices: Sequence[str],
    posts: int,
    concurrency: int = 16,
    first: int = 0,
    processes: int = 2,
) -> float:
    """Accepted POSTs/s; orders numbered 3000 + first + i as `bench.order_path.intake` numbers them."""
    spawn = multiprocessing.get_context("spawn")
    ready, done, go = spawn.Queue(), spawn.Queue(), spawn.Event()
    jobs = [(devices[i % len(devices)], 3000 + first + i) for i in range(posts)]
    per = max(1, concurrency // processes)
    children = [
        spawn.Process(target=_worker, args=(base_url, jobs[p::processes], per, ready, go, done), daemon=True)
        for p in range(processes)
    ]
    for child in children:
        child.start()
    for _ in children:
        _get(ready, children)
    start = time.perf_counter()
    go.set()
    failures = [f for _ in children for f in _get(done, children)]
    elapsed = time.perf_counter() - start
    for child in children:
        child.join(10)
    if failures:
        raise AssertionError(f"{len(failures)} POSTs not accepted, first: {failures[0]}")
    return posts / elapsed


def _get(queue: Any, children: list[Any]) -> Any:
    """The next item of `queue`; a RuntimeError if a child died without giving one."""
    while True:
        try:
            return queue.get(timeout=1)
        except Empty:
            if any(c.exitcode not in (None, 0) for c in children):
                raise RuntimeError("an intake load process failed (see its traceback above)") from None
