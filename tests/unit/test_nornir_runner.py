"""make_nornir's ReusingRunner: the runs of one Nornir (a transaction's phases) share their workers."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

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


def test_nornirs_on_a_shared_pool_reuse_its_threads_a_window_of_workers_at_a_time() -> None:
    targets = [DeviceTarget(f"d{i}", "127.0.0.1", 830, "sim-router", "u", "p") for i in range(12)]
    shared = ThreadPoolExecutor(8, thread_name_prefix="kept")
    lock, busy, most = threading.Lock(), [0], [0]

    def counted(task: Task) -> Result:
        with lock:
            busy[0] += 1
            most[0] = max(most[0], busy[0])
        threading.Event().wait(0.005)  # let the run's other hosts overlap this one
        with lock:
            busy[0] -= 1
        return whoami(task)

    seen: set[threading.Thread] = set()
    for _ in range(2):  # one Nornir per order, as the executor makes them
        nr = make_nornir(targets, workers=3, pool=None, shared_workers=shared)
        result = nr.run(task=counted)
        assert not result.failed and list(result) == [t.name for t in targets]
        seen |= {r[0].result for r in result.values()}
        nr.runner.close()  # leaves the shared pool running
    assert most[0] <= 3
    assert all(t.name.startswith("kept") for t in seen) and len(seen) <= 8
    assert shared.submit(lambda: 1).result() == 1
    shared.shutdown()
