"""The lease keeper writes renewals once a third of a lease has gone, not on every pass (each write
took SQLite's write lock once a second); it still looks for orphaned orders on every pass."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest

from core.db import utcnow
from rom import order_store
from rom.worker import OrderWorker


class Calls:
    """A stand-in Context that counts write transactions and read sessions."""

    def __init__(self) -> None:
        self.writes = self.reads = 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.writes += 1
        yield None

    @contextmanager
    def sessions(self) -> Iterator[None]:
        self.reads += 1
        yield None


@pytest.fixture
def renewed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], datetime]]:
    calls: list[tuple[list[str], datetime]] = []
    monkeypatch.setattr(order_store, "renew_lease", lambda _s, ids, _o, until: calls.append((ids, until)))
    monkeypatch.setattr(order_store, "orphaned", lambda _s, _now: [])
    return calls


def test_leases_are_renewed_once_a_third_of_them_has_gone(renewed: list[Any]) -> None:
    ctx = Calls()
    worker = OrderWorker(ctx=ctx, threads=1, lease_seconds=30.0)  # type: ignore[arg-type]
    worker._running.add("o1")
    start = utcnow()
    last = worker._keep(start + timedelta(seconds=1), start)
    last = worker._keep(start + timedelta(seconds=9), last)
    assert renewed == [] and ctx.writes == 0 and ctx.reads == 2  # orphans looked for each pass
    last = worker._keep(start + timedelta(seconds=10), last)
    assert renewed == [(["o1"], start + timedelta(seconds=40))] and ctx.writes == 1
    assert worker._keep(start + timedelta(seconds=19), last) == last and ctx.writes == 1
    worker._keep(start + timedelta(seconds=20), last)
    assert ctx.writes == 2 and renewed[-1][1] == start + timedelta(seconds=50)


def test_nothing_running_nothing_written(renewed: list[Any]) -> None:
    ctx = Calls()
    worker = OrderWorker(ctx=ctx, threads=1, lease_seconds=30.0)  # type: ignore[arg-type]
    start = utcnow()
    worker._keep(start + timedelta(minutes=5), start)
    assert renewed == [] and ctx.writes == 0 and ctx.reads == 1
