"""Phase steps (the CLI's progress): kept for the order's next write while the transaction is
fast, written as each phase ends once it has run long (a large fleet)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

from rom import order_store, progress
from rom.progress import PhaseSteps


class _Written:
    """A Context stand-in whose transactions record the steps added in them (`_add_steps`)."""

    def __init__(self) -> None:
        self.transactions: list[list[str]] = []

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        rows: list[str] = []
        yield rows
        self.transactions.append(rows)


def _add_steps(session: list[str], order_id: str, steps: list[order_store.Step]) -> None:
    session.extend(f"{s.name}:{s.detail.get('phase', '')}" for s in steps)


def _result(*hosts: str, failed: tuple[str, ...] = ()) -> dict[str, Any]:
    return {h: SimpleNamespace(failed=h in failed) for h in hosts}


def test_a_fast_transaction_keeps_its_phases_for_the_next_write() -> None:
    ctx, pending = _Written(), list[order_store.Step]()
    steps = PhaseSteps(ctx, "o1", pending)  # type: ignore[arg-type]
    steps.task_completed(SimpleNamespace(name="stage"), _result("pe1", "pe2", failed=("pe2",)))  # type: ignore[arg-type]
    steps.task_completed(SimpleNamespace(name="close_connections_task"), _result("pe1"))  # type: ignore[arg-type]
    assert ctx.transactions == []  # nothing written yet: the `committed` step or the end takes them
    assert [(s.name, s.detail) for s in pending] == [
        ("phase", {"phase": "stage", "devices": ["pe1", "pe2"], "failed": ["pe2"]})
    ]


def test_a_long_transaction_writes_each_phase_as_it_ends(monkeypatch: Any) -> None:
    ctx, pending = _Written(), list[order_store.Step]()
    steps = PhaseSteps(ctx, "o1", pending)  # type: ignore[arg-type]
    steps.task_completed(SimpleNamespace(name="stage"), _result("pe1"))  # type: ignore[arg-type]
    monkeypatch.setattr(progress, "LIVE_AFTER", 0.0)  # the transaction has now run long
    monkeypatch.setattr(order_store, "add_steps", _add_steps)
    pending.append(order_store.Step("reachability", {}))
    steps.task_completed(SimpleNamespace(name="commit"), _result("pe1"))  # type: ignore[arg-type]
    assert ctx.transactions == [["phase:stage", "reachability:", "phase:commit"]]  # in order, once
    assert pending == []
