"""An order's transaction phases in its step log, as they end: what `rom order submit` shows while
the order runs (stage, commit, read-back, confirm, rollback; the devices and those that failed)."""

from __future__ import annotations

from nornir.core.inventory import Host
from nornir.core.task import AggregatedResult, MultiResult, Task

from inventory.context import Context
from rom import order_store

HIDDEN = frozenset({"close_connections_task"})


class PhaseSteps:
    """Nornir processor: one `phase` step per task of the order's transaction, when it completes."""

    def __init__(self, ctx: Context, order_id: str) -> None:
        self.ctx, self.order_id = ctx, order_id

    def task_completed(self, task: Task, result: AggregatedResult) -> None:
        if task.name in HIDDEN:
            return
        failed = sorted(host for host, multi in result.items() if multi.failed)
        with self.ctx.transaction() as session:
            order_store.add_step(
                session, self.order_id, "phase", phase=task.name, devices=sorted(result), failed=failed
            )

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
