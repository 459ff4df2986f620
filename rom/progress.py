"""An order's transaction phases in its step log: what `rom order submit` shows while the order
runs (stage, commit, read-back, confirm, rollback; the devices and those that failed)."""

from __future__ import annotations

import time

from nornir.core.inventory import Host
from nornir.core.task import AggregatedResult, MultiResult, Task

from inventory.context import Context
from rom import order_store

HIDDEN = frozenset({"close_connections_task"})
LIVE_AFTER = 2.0  # seconds into the transaction after which each phase is written as it ends


class PhaseSteps:
    """Nornir processor: one `phase` step per task of the order's transaction, when it completes,
    with the time it ended. A fast transaction's phases are kept in `pending` (the order's next
    write takes them: the `committed` step or the order's end), saving a commit per phase; once the
    transaction has run LIVE_AFTER seconds (a large fleet), each phase and what is pending before
    it are written at once, so a watcher sees the progress."""

    def __init__(self, ctx: Context, order_id: str, pending: list[order_store.Step]) -> None:
        self.ctx, self.order_id, self.pending = ctx, order_id, pending
        self.began = time.monotonic()

    def task_completed(self, task: Task, result: AggregatedResult) -> None:
        if task.name in HIDDEN:
            return
        failed = sorted(host for host, multi in result.items() if multi.failed)
        self.pending.append(
            order_store.Step("phase", {"phase": task.name, "devices": sorted(result), "failed": failed})
        )
        if time.monotonic() - self.began < LIVE_AFTER:
            return
        with self.ctx.transaction() as session:
            order_store.add_steps(session, self.order_id, self.pending)
        self.pending.clear()

    def task_started(self, task: Task) -> None:
        return None

    def task_instance_started(self, task: Task, host: Host) -> None:
        return None

    def task_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        return None

    def subtask_instance_started(self, task: Task, host: Host) -> None:
        return None

    def subtask_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        return None
