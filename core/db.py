"""Database engine and session factory shared by the order and inventory stores."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, DateTime, Dialect, Engine, Executable, Table, create_engine, event
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


def make_engine(url: str, *, upgrade: bool = False) -> Engine:
    """An engine on a database at the code's schema revision (`core.schema`): an empty database
    is built, one behind is refused (SchemaError) unless `upgrade`. SQLite gets WAL and a busy
    timeout; its writers in this process queue on a lock (`core.sqlite_writers`)."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        factory = sqlite_writers.connection_factory(str(path.resolve()), SQLITE_BUSY_TIMEOUT)
        connect_args = {"timeout": SQLITE_BUSY_TIMEOUT, "check_same_thread": False, "factory": factory}
        engine = create_engine(url, connect_args=connect_args, json_deserializer=text_loads)
        event.listen(engine, "connect", _sqlite_pragmas)
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


class Prepared:
    """A Core statement without expanding parameters, compiled once per dialect and run straight on
    the session's DBAPI cursor, in its transaction. SQLAlchemy's execute costs some 0.3 ms of Python
    per statement whatever the statement (cache key, execution context, result set-up: a third of
    an intake's CPU over its dozen statements); this keeps only the column types' bind processing
    (JSON, UtcDateTime), so what is stored is what SQLAlchemy would have stored. For the statements
    run on every request; the rest keep `session.execute`. An INSERT names its `columns`, and each
    execution gives every one of them (no Python-side defaults run here). Pending ORM changes are
    flushed first, as `session.execute` would. The driver's errors are raised as SQLAlchemy's,
    with a lost connection invalidated, as `session.execute` does."""

    def __init__(self, statement: Executable, columns: Sequence[str] | None = None) -> None:
        self.statement, self.columns = statement, list(columns) if columns is not None else None
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None, dict[str, Any]]] = {}

    def _plan(self, dialect: Dialect) -> tuple[str, tuple[str, ...] | None, dict[str, Any]]:
        plan = self._compiled.get(dialect.name)
        if plan is None:
            compiled = self.statement.compile(dialect=dialect, column_keys=self.columns)  # type: ignore[attr-defined]
            positions = tuple(compiled.positiontup) if compiled.positional else None
            plan = self._compiled[dialect.name] = (
                compiled.string,
                positions,
                dict(compiled._bind_processors),
            )
        return plan

    def _args(self, dialect: Dialect, params: Mapping[str, Any]) -> tuple[str, Any]:
        sql, positions, processors = self._plan(dialect)
        done = {k: processors[k](v) if k in processors else v for k, v in params.items()}
        return sql, tuple(done[k] for k in positions) if positions is not None else done

    def execute(self, session: Session, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Execute with `params`; the rows it returns, as the driver gives them (no result types)."""
        connection = _connection(session)
        sql, args = self._args(connection.dialect, params)
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, args)
            return list(cursor.fetchall()) if cursor.description else []
        except Exception as exc:  # noqa: BLE001 (re-raised as SQLAlchemy's: IntegrityError, OperationalError…)
            connection._handle_dbapi_exception(exc, sql, args, cursor, None)
        finally:
            cursor.close()

    def many(self, session: Session, params: Sequence[Mapping[str, Any]]) -> None:
        """Execute once per parameter set (one `executemany`)."""
        connection = _connection(session)
        done = [self._args(connection.dialect, p) for p in params]
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(done[0][0], [args for _, args in done])
        except Exception as exc:  # noqa: BLE001 (re-raised as SQLAlchemy's)
            connection._handle_dbapi_exception(exc, done[0][0], [args for _, args in done], cursor, None)
        finally:
            cursor.close()


def json_value(value: Any) -> Any:
    """A JSON column of a `Prepared` row, decoded as the engine decodes it (`json_deserializer`):
    SQLite's driver gives text, psycopg a decoded value."""
    return text_loads(value) if isinstance(value, str | bytes) else value


def _connection(session: Session) -> Connection:
    if session.autoflush:  # what `session.execute` does first (not inside `no_autoflush`)
        session.flush()
    return session.connection()
