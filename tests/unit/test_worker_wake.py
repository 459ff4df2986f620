"""The order worker's wake-up: a submit that lands while a worker thread is looking for work is
not lost (before, that thread slept a whole poll interval with a runnable order waiting)."""

from __future__ import annotations

import threading
from typing import Any

from rom.worker import OrderWorker

NEVER = 3600.0  # a poll interval no test waits out


def _worker(claims: list[tuple[str | None, bool]], during: Any = None) -> OrderWorker:
    worker = OrderWorker(ctx=None, threads=1, poll_interval=NEVER)  # type: ignore[arg-type]

    def claim_next() -> tuple[str | None, bool]:
        if during is not None:
            during(worker)
        return claims.pop(0)

    worker._claim_next = claim_next  # type: ignore[method-assign]
    return worker


def _returns(worker: OrderWorker) -> bool:
    thread = threading.Thread(target=worker._run_one, daemon=True)
    thread.start()
    thread.join(10)
    return not thread.is_alive()


def test_a_submit_while_looking_wakes_the_worker_at_once() -> None:
    worker = _worker([(None, False)], during=lambda w: w.notify())  # the POST's notify, mid-claim
    assert _returns(worker)


def test_without_a_submit_the_worker_waits_for_one() -> None:
    worker = _worker([(None, False)])
    thread = threading.Thread(target=worker._run_one, daemon=True)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive()  # waiting: nothing was submitted
    worker.notify()
    thread.join(10)
    assert not thread.is_alive()


def test_a_claim_lost_to_a_busy_database_is_retried_soon() -> None:
    worker = _worker([(None, True)])  # contended: look again without a notify
    assert _returns(worker)


def test_one_submit_wakes_one_waiting_thread_not_the_herd() -> None:
    worker = _worker([(None, False), (None, False)])
    threads = [threading.Thread(target=worker._run_one, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(0.3)  # both waiting
    worker.notify()
    threads[0].join(0.5)
    threads[1].join(0.5)
    assert sum(t.is_alive() for t in threads) == 1  # the other still waits for a second submit
    worker.notify()
    for thread in threads:
        thread.join(10)
    assert not any(t.is_alive() for t in threads)
