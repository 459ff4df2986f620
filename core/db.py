"""Database engine and session factory shared by the order and inventory stores."""

from __future__ import annotations

import select
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    BindParameter,
    Connection,
    DateTime,
    Dialect,
    Engine,
    Executable,
    Table,
    bindparam,
    create_engine,
    event,
)
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from core import schema, sqlite_writers
from core.text import loads as text_loads


class Base(DeclarativeBase):
    """Every table's base. The tables themselves are built by the migrations (`core.schema`);
    a test checks that the newest revision equals these models."""


def table(model: type[Base]) -> Table:
    """A model's table, for Core statements (no ORM unit of work per row)."""
    return cast(Table, model.__table__)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Stored as UTC without a zone on every database; always read back zone-aware (UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UtcDateTime needs a zone-aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


SQLITE_BUSY_TIMEOUT = 30.0  # seconds a writer waits for another's write lock
# PostgreSQL connections a process keeps open (and as many more at a peak, closed after use): the
# worker threads, their executors, the relay, the keeper and the HTTP threads use more than
# SQLAlchemy's 5 at once, and each one beyond was a new connection (~0.4 per sustained order)
POSTGRES_POOL = 16


def make_engine(url: str, *, upgrade: bool = False) -> Engine:
    """An engine on a database at the code's schema revision (`core.schema`): an empty database
    is built, one behind is refused (SchemaError) unless `upgrade`. SQLite gets WAL and a busy
    timeout; its writers in this process queue on a lock (`core.sqlite_writers`). On PostgreSQL a
    pooled connection the server has closed is replaced at checkout (`_closed_by_server`)."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        factory = sqlite_writers.connection_factory(str(path.resolve()), SQLITE_BUSY_TIMEOUT)
        connect_args = {"timeout": SQLITE_BUSY_TIMEOUT, "check_same_thread": False, "factory": factory}
        engine = create_engine(url, connect_args=connect_args, json_deserializer=text_loads)
        event.listen(engine, "connect", _sqlite_pragmas)
    elif url.startswith("postgresql"):
        engine = create_engine(
            url, pool_size=POSTGRES_POOL, max_overflow=POSTGRES_POOL, json_deserializer=text_loads
        )
        event.listen(engine, "checkout", _closed_by_server)
    else:
        engine = create_engine(url, pool_pre_ping=True, json_deserializer=text_loads)
    try:
        schema.ensure(engine, upgrade=upgrade)
    except BaseException:
        engine.dispose()
        raise
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _closed_by_server(dbapi_conn, _record, _proxy) -> None:  # type: ignore[no-untyped-def]
    """A pooled connection the server has ended (a restart: it sends a goodbye and closes) is
    replaced at checkout, not found dead by the caller's first statement. An idle connection has
    nothing to read (no LISTEN here), so anything readable means it was ended: a non-blocking poll
    of its socket, where `pool_pre_ping` spends a round trip (`SELECT 1`) per checkout."""
    poller = select.poll()
    poller.register(dbapi_conn.fileno(), select.POLLIN)
    if dbapi_conn.closed or poller.poll(0):
        raise DisconnectionError("the server closed this pooled connection")  # the pool reconnects


class Prepared:
    """A Core statement without expanding parameters, compiled once per dialect and run straight on
    the session's DBAPI cursor, in its transaction. SQLAlchemy's execute costs some 0.3 ms of Python
    per statement whatever the statement (cache key, execution context, result set-up: a third of
    an intake's CPU over its dozen statements); this keeps only the column types' bind processing
    (JSON, UtcDateTime), so what is stored is what SQLAlchemy would have stored, and their result
    processing, so that a row holds what `session.execute` gives (JSON decoded, dates zone-aware).
    For the statements run on every request; the rest keep `session.execute`. An INSERT names its
    `columns`, and each execution gives every one of them (no Python-side defaults run here).
    Pending ORM changes are flushed first, as `session.execute` would. The driver's errors are
    raised as SQLAlchemy's, with a lost connection invalidated, as `session.execute` does. An IN
    list takes numbered parameters (`numbered`, `numbered_in`)."""

    def __init__(self, statement: Executable, columns: Sequence[str] | None = None) -> None:
        self.statement, self.columns = statement, list(columns) if columns is not None else None
        self._compiled: dict[str, _Plan] = {}

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._compiled.get(dialect.name)
        if plan is None:
            compiled = self.statement.compile(dialect=dialect, column_keys=self.columns)  # type: ignore[attr-defined]
            binds = dict(compiled._bind_processors)
            order = tuple((k, binds.get(k)) for k in compiled.positiontup) if compiled.positional else None
            results = tuple(c.type._cached_result_processor(dialect, None) for c in compiled._result_columns)
            plan = _Plan(compiled.string, order, binds, results if any(results) else None)
            self._compiled[dialect.name] = plan
        return plan

    def execute(self, session: Session, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Execute with `params`; the rows it returns, typed as `session.execute` types them."""
        connection = _connection(session)
        plan = self._plan(connection.dialect)
        args = plan.args(params)
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(plan.sql, args)
            rows = list(cursor.fetchall()) if cursor.description else []
        except Exception as exc:  # noqa: BLE001 (re-raised as SQLAlchemy's: IntegrityError, OperationalError…)
            connection._handle_dbapi_exception(exc, plan.sql, args, cursor, None)
        finally:
            cursor.close()
        return plan.typed(rows)

    def many(self, session: Session, params: Sequence[Mapping[str, Any]]) -> None:
        """Execute once per parameter set (one `executemany`)."""
        connection = _connection(session)
        plan = self._plan(connection.dialect)
        args = [plan.args(p) for p in params]
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(plan.sql, args)
        except Exception as exc:  # noqa: BLE001 (re-raised as SQLAlchemy's)
            connection._handle_dbapi_exception(exc, plan.sql, args, cursor, None)
        finally:
            cursor.close()


class _Plan(NamedTuple):
    """A `Prepared` statement compiled for one dialect."""

    sql: str
    order: tuple[tuple[str, Any], ...] | None  # a positional driver's parameters: (name, bind processor)
    binds: dict[str, Any]  # bind processors by parameter name
    results: tuple[Any, ...] | None  # result processors by column (None: no column has one)

    def args(self, params: Mapping[str, Any]) -> Any:
        """`params` as the driver takes them, each through its column type's bind processor."""
        if self.order is not None:
            return tuple(p(params[k]) if p else params[k] for k, p in self.order)
        binds = self.binds
        return {k: binds[k](v) if k in binds else v for k, v in params.items()}

    def typed(self, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """The driver's rows, each column through its type's result processor."""
        if self.results is None:
            return rows
        results = self.results
        return [tuple(p(v) if p else v for p, v in zip(results, row, strict=True)) for row in rows]


def numbered(prefix: str, values: Sequence[Any]) -> tuple[int, dict[str, Any]]:
    """An IN list's `values` as the parameters <prefix>0, <prefix>1, …: their number rounded up to
    a power of two and filled up with the last value (a repeat in an IN list changes nothing), so
    that a few statements, each compiled once, serve every length (see `numbered_in`). Returns
    (that number, 0 for no values; the parameters)."""
    size = 1 << (len(values) - 1).bit_length() if values else 0
    filled = [*values, *[values[-1]] * (size - len(values))] if values else []
    return size, {f"{prefix}{i}": v for i, v in enumerate(filled)}


def numbered_in(prefix: str, size: int) -> list[BindParameter[Any]]:
    """The parameters <prefix>0 … <prefix><size - 1> that `numbered` fills, for `column.in_(…)`."""
    return [bindparam(f"{prefix}{i}") for i in range(size)]


def _connection(session: Session) -> Connection:
    if session.autoflush:  # what `session.execute` does first (not inside `no_autoflush`)
        session.flush()
    return session.connection()
