"""Worker threads that claim runnable orders, keep their leases alive, and recover orphaned ones."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError, OperationalError

from core.db import utcnow
from core.liveness import owner_id
from inventory.context import Context
from rom import order_store
from rom.executor import execute_order
from rom.metrics import ORDER_CLAIMS
from rom.recovery import recover_order
from rom.start import Started, claim_and_start, claim_next_and_start

log = logging.getLogger(__name__)
CONTENDED_RETRY = 0.01  # seconds before looking again after a claim lost to a busy database
QUEUE_TRIES = 3  # queue picks per look that may meet a device lock not yet committed
KEEPER_INTERVAL = 1.0  # seconds between the lease keeper's passes, at most
WON, LOST, DEVICE_BUSY, CONTENDED = (
    ORDER_CLAIMS.labels(outcome) for outcome in ("won", "lost", "device_busy", "contended")
)


class OrderWorker:
    """`threads` orders run at once; no two of them share a device (device locks in the database)."""

    def __init__(
        self,
        ctx: Context,
        threads: int = 4,
        poll_interval: float = 1.0,
        lease_seconds: float = 30.0,
        after_first_order: Callable[[], None] | None = None,
    ) -> None:
        """`after_first_order`: called once, on the thread that ran it, after this worker's first
        order has ended (the process's policy, e.g. `api.app.settle_gc`)."""
        self._ctx = ctx
        self._after_first = after_first_order
        self._poll = poll_interval
        self._lease = timedelta(seconds=lease_seconds)
        self.owner = owner_id()
        self._wake = threading.Condition()
        self._signals = 0  # notify() count: a wake that comes while a thread looks is not lost
        self._stop = threading.Event()
        self._running: set[str] = set()
        self._claiming: set[str] = set()  # orders a thread of this process is claiming now
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, name=f"rom-order-worker-{i}", daemon=True)
            for i in range(threads)
        ]
        self._threads.append(threading.Thread(target=self._keeper, name="rom-lease-keeper", daemon=True))

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def notify(self) -> None:
        """An order became runnable: one waiting thread looks now rather than at the next poll (one
        per signal: a herd of threads racing to claim the same order would only queue for the
        database's write lock; a thread busy looking sees the count and looks again)."""
        with self._wake:
            self._signals += 1
            self._wake.notify()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        with self._wake:
            self._signals += 1
            self._wake.notify_all()
        for thread in self._threads:
            thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._run_one()
            except Exception:  # a worker thread must outlive any one order or database hiccup
                log.exception("order worker: unexpected error; continuing")
                self._stop.wait(self._poll)

    def _run_one(self) -> None:
        with self._wake:
            seen = self._signals
        started, contended = self._claim_next()
        if started is None:
            with self._wake:
                if self._signals == seen:  # nothing submitted or freed since we looked
                    self._wake.wait(CONTENDED_RETRY if contended else self._poll)
            return
        try:
            execute_order(self._ctx, started.id, started)
        finally:
            with self._lock:
                self._running.discard(started.id)
        self.notify()  # its devices are free again
        if self._after_first is not None:
            self._first_order_ended()

    def _first_order_ended(self) -> None:
        with self._lock:
            hook, self._after_first = self._after_first, None
        if hook is not None:
            hook()

    def _claim_next(self) -> tuple[Started | None, bool]:
        """(the order claimed and started in one transaction, or None; whether a claim lost to the
        database's lock and may be retried soon)."""
        now = utcnow()
        if self._ctx.engine.dialect.name == "postgresql":  # SQLite has no row locks to skip
            return self._take_next(now)
        contended = False
        try:
            with self._ctx.sessions() as session:
                candidates = order_store.runnable_orders(session, now, limit=20)
                busy = order_store.busy_devices(session)
        except OperationalError as exc:
            log.warning("cannot read runnable orders: %s", exc)
            return None, False
        for row in candidates:
            if busy & set(row.devices) or not self._mine_to_try(row.id):
                continue  # a device is busy, or a sibling thread claims it (a claim lost: a wasted write)
            try:
                with self._ctx.transaction() as session:
                    started = claim_and_start(session, row, self.owner, now + self._lease)
                if started is None:
                    LOST.inc()
                    continue  # taken, cancelled or held since it was read: the claim compared its state
            except (order_store.DeviceBusy, IntegrityError):
                DEVICE_BUSY.inc()
                continue  # another worker took one of its devices or the order first
            except OperationalError:
                CONTENDED.inc()
                contended = True  # the database was busy (SQLite's write lock): look again soon
                continue
            finally:
                with self._lock:
                    self._claiming.discard(row.id)
            WON.inc()
            with self._lock:
                self._running.add(row.id)
            return started, False
        return None, contended

    def _take_next(self, now: datetime) -> tuple[Started | None, bool]:
        """`_claim_next` on PostgreSQL: the look and the claim in one statement (a queue pick that
        skips rows other claimers hold), tried again while it meets a device lock not yet
        committed when it read them."""
        for _ in range(QUEUE_TRIES):
            try:
                with self._ctx.transaction() as session:
                    started = claim_next_and_start(session, self.owner, now + self._lease, now)
            except (order_store.DeviceBusy, IntegrityError):
                DEVICE_BUSY.inc()
                continue
            except OperationalError as exc:
                log.warning("cannot claim a runnable order: %s", exc)
                return None, False
            if started is None:
                return None, False
            WON.inc()
            with self._lock:
                self._running.add(started.id)
            return started, False
        return None, True

    def _mine_to_try(self, order_id: str) -> bool:
        """Whether no other thread of this process is claiming the order (then this one is)."""
        with self._lock:
            if order_id in self._claiming:
                return False
            self._claiming.add(order_id)
            return True

    def _keeper(self) -> None:
        """Renew our leases and recover orphaned orders, about once a second (`_keep`)."""
        renewed = utcnow()
        while not self._stop.is_set():
            try:
                renewed = self._keep(utcnow(), renewed)
            except Exception:  # keep renewing whatever one pass hit
                log.exception("lease keeper: unexpected error; continuing")
            # often enough that a dead process's orders move on within seconds (core.liveness)
            self._stop.wait(min(self._lease.total_seconds() / 3, KEEPER_INTERVAL))

    def _keep(self, now: datetime, renewed: datetime) -> datetime:
        """One pass: renew our leases if a third of their time has gone since `renewed` (one write
        for all), then adopt and recover orders whose owner stopped renewing theirs (a read: no
        write lock while nothing is orphaned). Returns when the leases were last renewed."""
        with self._lock:
            mine = list(self._running)
        if mine and now - renewed >= self._lease / 3:
            with self._ctx.transaction() as session:
                order_store.renew_lease(session, mine, self.owner, now + self._lease)
            renewed = now
        with self._ctx.sessions() as session:
            orphans = order_store.orphaned(session, now)
        with self._lock:  # ours but not renewed (database outage): still running here
            orphans = [o for o in orphans if o[0] not in self._running]
        for order_id, dead in orphans:
            self._recover(order_id, dead)
        return renewed

    def _recover(self, order_id: str, dead: str) -> None:
        now = utcnow()
        with self._ctx.transaction() as session:
            if not order_store.take_over(session, order_id, self.owner, now, now + self._lease, dead):
                return
        with self._lock:
            self._running.add(order_id)
        try:
            log.warning("order %s: its worker stopped; recovering", order_id)
            log.warning("order %s recovered: %s", order_id, recover_order(self._ctx, order_id))
        finally:
            with self._lock:
                self._running.discard(order_id)
        self.notify()
