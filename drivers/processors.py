"""Nornir processors: rich progress bars and Prometheus metrics per device operation.

Opt in with `make_nornir(..., processors=[...])` or `run_transaction(..., processors=[...])`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from nornir.core.inventory import Host
from nornir.core.task import AggregatedResult, MultiResult, Task
from prometheus_client import CollectorRegistry, Counter, Histogram
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

DEVICE_OPERATION_SECONDS = Histogram(
    "rom_device_operation_seconds",
    "Time one device took for one Nornir task (stage, commit, confirm, rollback, ...)",
    ["operation", "platform"],
    buckets=_BUCKETS,
)
DEVICE_OPERATION_FAILURES = Counter(
    "rom_device_operation_failures_total",
    "Device operations that failed (the host's task raised or returned failed)",
    ["operation", "platform"],
)


class _NoSubtasks:
    """Processor methods ROM's tasks do not need (they run no subtasks)."""

    def subtask_instance_started(self, task: Task, host: Host) -> None:
        return None

    def subtask_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        return None


class MetricsProcessor(_NoSubtasks):
    """Observe each host's task duration and count its failures, labelled by task name and platform.

    `registry` given: the two metrics are created in it (tests, separate exporters); otherwise the
    process-wide ones in the default registry are used (served by the API's `/metrics`).
    """

    def __init__(
        self, registry: CollectorRegistry | None = None, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        if registry is None:
            self.seconds, self.failures = DEVICE_OPERATION_SECONDS, DEVICE_OPERATION_FAILURES
        else:
            self.seconds = Histogram(
                DEVICE_OPERATION_SECONDS._name,
                DEVICE_OPERATION_SECONDS._documentation,
                ["operation", "platform"],
                buckets=_BUCKETS,
                registry=registry,
            )
            self.failures = Counter(
                DEVICE_OPERATION_FAILURES._name,
                DEVICE_OPERATION_FAILURES._documentation,
                ["operation", "platform"],
                registry=registry,
            )
        self._clock = clock
        self._started: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def task_started(self, task: Task) -> None:
        return None

    def task_completed(self, task: Task, result: AggregatedResult) -> None:
        return None

    def task_instance_started(self, task: Task, host: Host) -> None:
        with self._lock:
            self._started[(task.name, host.name)] = self._clock()

    def task_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        with self._lock:
            started = self._started.pop((task.name, host.name), None)
        labels = {"operation": task.name, "platform": host.platform or "unknown"}
        if started is not None:
            self.seconds.labels(**labels).observe(self._clock() - started)
        if result.failed:
            self.failures.labels(**labels).inc()


class RichProgressProcessor(_NoSubtasks):
    """One rich progress bar per Nornir task (per transaction phase), advancing as hosts finish.

    Failed hosts are counted in the bar's description. The bars render on `console` (stderr by
    default) and stop when the task completes. Tasks named in `hidden` (Nornir's own
    connection closing) get no bar.
    """

    def __init__(
        self,
        console: Console | None = None,
        transient: bool = False,
        hidden: frozenset[str] = frozenset({"close_connections_task"}),
    ) -> None:
        self.hidden = hidden
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("[red]{task.fields[failed]} failed", justify="right"),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
            transient=transient,
        )
        self._bars: dict[str, TaskID] = {}
        self._lock = threading.Lock()

    def task_started(self, task: Task) -> None:
        if task.name in self.hidden:
            return
        total = len(task.nornir.inventory.hosts)
        with self._lock:
            if not self._bars:
                self.progress.start()
            self._bars[task.name] = self.progress.add_task(task.name, total=total, failed=0)

    def task_completed(self, task: Task, result: AggregatedResult) -> None:
        with self._lock:
            bar = self._bars.pop(task.name, None)
            if bar is None:
                return
            self.progress.update(bar, completed=len(result))
            if not self._bars:
                self.progress.stop()

    def task_instance_started(self, task: Task, host: Host) -> None:
        return None

    def task_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        with self._lock:
            bar = self._bars.get(task.name)
            if bar is None:
                return
            if result.failed:
                failed = int(self.progress.tasks[self._index(bar)].fields.get("failed", 0)) + 1
                self.progress.update(bar, advance=1, failed=failed)
            else:
                self.progress.update(bar, advance=1)

    def _index(self, bar: TaskID) -> int:
        return next(i for i, t in enumerate(self.progress.tasks) if t.id == bar)

    def bars(self) -> dict[str, tuple[float, float | None, int]]:
        """{description: (completed, total, failed)} of every bar so far (for tests and reports)."""
        return {
            str(t.description): (t.completed, t.total, int(t.fields.get("failed", 0)))
            for t in self.progress.tasks
        }
