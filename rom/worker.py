"""A background thread that executes acknowledged orders one at a time."""

from __future__ import annotations

import logging
import threading

from rom import store
from rom.context import Context
from rom.executor import execute_order

log = logging.getLogger(__name__)


class OrderWorker:
    def __init__(self, ctx: Context, poll_interval: float = 1.0) -> None:
        self._ctx = ctx
        self._poll = poll_interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rom-order-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def notify(self) -> None:
        """An order was acknowledged: look now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            with self._ctx.sessions() as session:
                pending = store.order_ids_in_state(session, "acknowledged")
            for order_id in pending:
                if self._stop.is_set():
                    return
                state = execute_order(self._ctx, order_id)
                log.info("order %s: %s", order_id, state)
            if not pending:
                self._wake.wait(self._poll)
