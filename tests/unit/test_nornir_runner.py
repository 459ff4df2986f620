"""make_nornir's ReusingRunner: the runs of one Nornir (a transaction's phases) share their workers."""

from __future__ import annotations

import threading

from nornir.core.task import Result, Task

from drivers.base import DeviceTarget
from drivers.nornir_plugins import ReusingRunner, make_nornir


def whoami(task: Task) -> Result:
    return Result(host=task.host, result=threading.current_thread())  # kept: no reuse of ids


def test_runs_of_one_nornir_and_its_filtered_copies_share_the_workers() -> None:
    targets = [DeviceTarget(f"d{i}", "127.0.0.1", 830, "sim-router", "u", "p") for i in range(12)]
    nr = make_nornir(targets, workers=3, pool=None)
    assert isinstance(nr.runner, ReusingRunner)
    seen: set[threading.Thread] = set()
    for scope in (nr, nr.filter(filter_func=lambda h: h.name != "d0"), nr):
        result = scope.run(task=whoami)
        assert not result.failed and len(result) == len(scope.inventory.hosts)
        seen |= {r[0].result for r in result.values()}
    assert 1 <= len(seen) <= 3  # never more threads than workers, over all three runs
    nr.runner.close()
    again = nr.run(task=whoami)  # after close, a run starts new workers
    assert not again.failed and len(again) == 12
    nr.runner.close()
