"""core.sqlite_writers: a process's SQLite writers queue on its lock, never on SQLite's."""

from __future__ import annotations

import gc
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import sqlite_writers
from core.db import Prepared

META = MetaData()
ITEMS = Table("items", META, Column("id", Integer, primary_key=True))
ADD = Prepared(insert(ITEMS), ["id"])


def test_a_second_writer_waits_for_the_first_commit_without_meeting_sqlites_lock(tmp_path: Path) -> None:
    path = str(tmp_path / "rom.db")
    factory = sqlite_writers.connection_factory(path, 30.0)
    # SQLite's busy timeout 0: a writer that met the held write lock would fail at once
    engine = create_engine(
        f"sqlite:///{path}", connect_args={"timeout": 0, "factory": factory, "check_same_thread": False}
    )
    META.create_all(engine)
    lock = sqlite_writers.writer_lock(path, 30.0)
    failed: list[BaseException] = []

    def second() -> None:
        try:
            with Session(engine) as session:
                session.execute(insert(ITEMS).values(id=2))  # through SQLAlchemy's execute
                session.commit()
        except BaseException as exc:  # noqa: BLE001 (reported by the test)
            failed.append(exc)

    with Session(engine) as first:
        assert first.execute(select(ITEMS.c.id)).all() == []  # a read takes no lock
        assert lock.waiting == 0
        ADD.execute(first, {"id": 1})  # through the driver's cursor: the transaction holds the lock
        thread = threading.Thread(target=second)
        thread.start()
        while lock.waiting == 0 and thread.is_alive():
            threading.Event().wait(0.001)
        assert lock.waiting == 1, failed  # queued on the lock, not failed on SQLite's
        first.commit()
    thread.join()
    assert failed == []
    with Session(engine) as session:
        assert session.execute(select(ITEMS.c.id).order_by(ITEMS.c.id)).scalars().all() == [1, 2]
        with pytest.raises(IntegrityError):  # a failed write, then its rollback, give the lock back
            ADD.many(session, [{"id": 3}, {"id": 1}])
        session.rollback()
        ADD.execute(session, {"id": 4})
        session.commit()
    assert lock.acquire()  # nobody holds it
    lock.release()
    engine.dispose()


def _connect(path: str, factory: Any) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=0, factory=factory, check_same_thread=False)
    connection.execute("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY)")
    return connection


def _write(connection: sqlite3.Connection, sql: str) -> None:
    connection.cursor().execute(sql)  # the factory's cursor (`Connection.execute` bypasses it)


def test_a_connection_dropped_while_writing_gives_the_lock_back(tmp_path: Path) -> None:
    """Not closed, its last reference gone: the writers queued behind it do not wait out the
    lock's timeout."""
    path = str(tmp_path / "rom.db")
    factory = sqlite_writers.connection_factory(path, 30.0)
    lock = sqlite_writers.writer_lock(path, 30.0)
    dropped = _connect(path, factory)
    _write(dropped, "INSERT INTO items (id) VALUES (1)")
    assert lock.held()
    del dropped
    gc.collect()
    assert not lock.held()
    other = _connect(path, factory)
    _write(other, "INSERT INTO items (id) VALUES (2)")  # SQLite's lock is free too (busy timeout 0)
    other.commit()
    assert other.execute("SELECT id FROM items").fetchall() == [(2,)]  # the dropped one rolled back
    other.close()


@pytest.mark.timeout(20)  # the lock's timeout is an hour: a thread waiting for itself fails here
def test_a_second_connection_of_the_writing_thread_does_not_queue_behind_it(tmp_path: Path) -> None:
    """It meets SQLite's lock at once (busy timeout 0 here), as it would without the queue."""
    path = str(tmp_path / "rom.db")
    factory = sqlite_writers.connection_factory(path, 3600.0)
    first, second = _connect(path, factory), _connect(path, factory)
    _write(first, "INSERT INTO items (id) VALUES (1)")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        _write(second, "INSERT INTO items (id) VALUES (2)")
    first.commit()
    _write(second, "INSERT INTO items (id) VALUES (2)")  # the lock is free again for this thread
    second.commit()
    first.close()
    second.close()
