"""SQLite's write transactions of one process queue on a Python lock.

A SQLite writer that finds the write lock held sleeps in SQLite's busy handler, in steps of 1 up to
100 ms, so it wakes up to a step after the lock is free. Writers of one process (the orders, the
relay, the API) instead take a lock per database file before their transaction's first write and
give it back at its commit or rollback: a waiting writer wakes when the lock is free. Other
processes (a second serve, the CLI) still meet through SQLite's lock and its busy timeout.

The driver begins a transaction before the first INSERT, UPDATE, DELETE or REPLACE (its legacy
transaction control): the lock is taken just before such a statement when no transaction is open.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_locks: dict[str, WriterLock] = {}
_locks_guard = threading.Lock()


class WriterLock:
    """One database file's writers in this process; `waiting` counts those queued now."""

    def __init__(self, timeout: float) -> None:
        self.timeout, self.waiting = timeout, 0
        self._lock = threading.Lock()
        self._count = threading.Lock()
        self._holder: int | None = None  # the thread that took it

    def acquire(self) -> bool:
        """Wait for the lock; False after `timeout` (the writer then meets SQLite's lock, as it
        would without this queue, and its busy timeout decides). False at once for a thread that
        holds it through another connection: it would wait for itself (then SQLite's busy timeout
        alone decides, as without this queue)."""
        if self._lock.acquire(blocking=False):
            self._holder = threading.get_ident()
            return True
        if self._holder == threading.get_ident():
            return False
        with self._count:
            self.waiting += 1
        try:
            taken = self._lock.acquire(timeout=self.timeout)
        finally:
            with self._count:
                self.waiting -= 1
        if taken:
            self._holder = threading.get_ident()
        return taken

    def release(self) -> None:
        self._holder = None
        self._lock.release()

    def held(self) -> bool:
        return self._lock.locked()


def writer_lock(database: str, timeout: float) -> WriterLock:
    """The lock of `database`'s writers in this process (one per file, whatever the engine)."""
    with _locks_guard:
        return _locks.setdefault(database, WriterLock(timeout))


def connection_factory(database: str, timeout: float) -> Callable[..., sqlite3.Connection]:
    """A `sqlite3.connect` factory whose connections take `database`'s writer lock."""
    lock = writer_lock(database, timeout)

    class Cursor(sqlite3.Cursor):
        def execute(self, sql: str, parameters: Any = (), /) -> Cursor:
            with _Writing(self.connection, sql):
                return super().execute(sql, parameters)

        def executemany(self, sql: str, parameters: Any, /) -> Cursor:
            with _Writing(self.connection, sql):
                return super().executemany(sql, parameters)

    class Connection(sqlite3.Connection):
        holds = False

        def cursor(self, factory: Any = Cursor) -> Any:
            return super().cursor(factory)

        def commit(self) -> None:
            try:
                super().commit()
            finally:
                self._give_back()

        def rollback(self) -> None:
            try:
                super().rollback()
            finally:
                self._give_back()

        def close(self) -> None:
            try:
                super().close()
            finally:
                self._give_back()

        def __del__(self) -> None:
            """Dropped without a close (its last reference gone) while it held the lock: closed
            (its transaction rolls back), and the lock given back for the writers queued on it."""
            if self.holds:
                with contextlib.suppress(sqlite3.Error):  # another thread's: its dealloc closes it
                    super().close()
                self.holds = False
                lock.release()

        def _give_back(self) -> None:
            if self.holds and not self._open():
                self.holds = False
                lock.release()

        def _open(self) -> bool:
            try:
                return self.in_transaction
            except sqlite3.ProgrammingError:  # closed
                return False

    class _Writing:
        def __init__(self, connection: Any, sql: str) -> None:
            self.connection = connection
            self.take = (
                isinstance(connection, Connection)
                and not connection.holds
                and not connection.in_transaction
                and sql.lstrip()[:7].upper().startswith(_WRITES)
            )

        def __enter__(self) -> None:
            if self.take:
                self.connection.holds = lock.acquire()

        def __exit__(self, *exc: object) -> None:
            if self.take and self.connection.holds and not self.connection.in_transaction:
                self.connection.holds = False  # the statement failed before its transaction began
                lock.release()

    return Connection
