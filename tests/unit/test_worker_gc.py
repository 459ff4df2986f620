"""The serve settles the garbage collector once, after its worker's first order: the worker fires
its `after_first_order` hook once, and the serve's hook (`api.app.settle_gc`) makes what is alive
then (YANG schemas, templates, clients) leave the generations later full collections walk."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from api.app import settle_gc
from rom import worker as worker_module
from rom.worker import OrderWorker

NEVER = 3600.0


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the test run keeps a normal collector


def _ran(hook: Any, monkeypatch: pytest.MonkeyPatch, orders: int) -> list[int]:
    """Run `orders` orders through a worker whose claim and execution are stubs; the frozen
    object count after each."""
    ran: list[str] = []
    monkeypatch.setattr(worker_module, "execute_order", lambda _ctx, order_id, _row: ran.append(order_id))
    worker = OrderWorker(ctx=None, threads=1, poll_interval=NEVER, after_first_order=hook)  # type: ignore[arg-type]
    queue: list[Any] = [SimpleNamespace(id=f"o{n}") for n in range(orders)]
    worker._claim_next = lambda: (queue.pop(0), False)  # type: ignore[method-assign,assignment]
    frozen = []
    for _ in range(orders):
        worker._run_one()
        frozen.append(gc.get_freeze_count())
    assert ran == [f"o{n}" for n in range(orders)]
    return frozen


def test_the_first_order_freezes_what_is_alive_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    freeze = gc.freeze
    monkeypatch.setattr(gc, "collect", lambda generation=2: calls.append(f"collect {generation}") or 0)
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze") or freeze())
    frozen = _ran(settle_gc, monkeypatch, 3)
    assert frozen[0] > 0  # the objects alive after the first order
    assert calls == ["collect 2", "freeze"]  # a full collection first; once, not per order


def test_without_a_hook_nothing_is_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _ran(None, monkeypatch, 2) == [0, 0]
