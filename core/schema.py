"""The database schema's version: Alembic revisions in `core/migrations/versions/`, applied by
`rom db upgrade` (or `rom serve --upgrade-db`). A new database is built at the newest revision;
a database behind the code is refused with the command that upgrades it.

A database made before migrations existed (release 46cb9b3 and earlier, `create_all` at start)
has no version table: it is taken to be at the baseline revision, whose tables it has."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, MetaData, inspect, text

from core.errors import RomError

MIGRATIONS = Path(__file__).parent / "migrations"
BASELINE = "0001"
_PRE_MIGRATION_TABLE = "resource_orders"  # every release before migrations created it at start
_ADVISORY_KEY = 0x524F4D5343484D  # "ROMSCHM": one process at a time changes the schema (PostgreSQL)


class SchemaError(RomError):
    """The database's schema does not match this ROM's code."""


@dataclass(frozen=True)
class Revision:
    id: str
    down: str | None
    doc: str


def head() -> str:
    found = _scripts().get_current_head()
    assert found is not None, "core/migrations/versions holds no revision"
    return found


def history() -> list[Revision]:
    """Every revision, newest first."""
    return [
        Revision(r.revision, r.down_revision if isinstance(r.down_revision, str) else None, r.doc or "")
        for r in _scripts().walk_revisions()
    ]


def current(conn: Connection) -> str | None:
    """The database's revision; None for an empty database."""
    found = MigrationContext.configure(conn).get_current_revision()
    if found is None and inspect(conn).has_table(_PRE_MIGRATION_TABLE):
        return BASELINE
    return found


def current_of(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return current(conn)


def ensure(engine: Engine, *, upgrade: bool = False) -> None:
    """Build an empty database; refuse one behind the code unless told to upgrade it."""
    with _exclusive(engine) as conn:
        found, wanted = current(conn), head()
        if found == wanted:
            return
        _check_known(found)
        if found is not None and not upgrade:
            raise SchemaError(
                f"the database schema is at revision {found}, this ROM needs {wanted}: "
                "run `rom db upgrade` (or start with `rom serve --upgrade-db`)"
            )
        _upgrade(conn)


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the database to the newest revision; returns (before, after)."""
    with _exclusive(engine) as conn:
        found = current(conn)
        _check_known(found)
        _upgrade(conn)
        return found, head()


def upgrade_to(engine: Engine, revision: str) -> None:
    """Build or move a database to one named revision (tests build old schemas with it)."""
    with _exclusive(engine) as conn:
        command.upgrade(_config(conn), revision)


def downgrade_in(conn: Connection, revision: str) -> None:
    """Move a database back to an older revision (tests rebuild the previous release's schema)."""
    command.downgrade(_config(conn), revision)


def differences(engine: Engine, metadata: MetaData) -> list[object]:
    """What the models declare that the database lacks or has otherwise (empty at head). What they
    declare for another database only (`ddl_if(dialect=…)`) is not compared."""
    with engine.connect() as conn:
        opts = {"compare_type": True, "include_object": partial(_declared_for, conn.dialect.name)}
        return list(compare_metadata(MigrationContext.configure(conn, opts=opts), metadata))


def _declared_for(
    dialect: str, item: object, _name: object, _kind: str, reflected: bool, _other: object
) -> bool:
    only = getattr(item, "_ddl_if", None)
    return reflected or only is None or only.dialect in (None, dialect)


def _upgrade(conn: Connection) -> None:
    cfg = _config(conn)
    if current(conn) == BASELINE and MigrationContext.configure(conn).get_current_revision() is None:
        command.stamp(cfg, BASELINE)  # made before migrations: it has the baseline's tables
    command.upgrade(cfg, "head")


def _check_known(found: str | None) -> None:
    if found is None:
        return
    try:
        _scripts().get_revision(found)
    except CommandError:
        raise SchemaError(
            f"the database schema is at revision {found}, which this ROM does not know "
            f"(its newest is {head()}): run the ROM release that upgraded it"
        ) from None


def _scripts() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS))


def _config(conn: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


@contextmanager
def _exclusive(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that no other process checking the schema runs beside."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_KEY})
            yield conn
        return
    path = engine.url.database
    if engine.dialect.name != "sqlite" or not path or path == ":memory:":
        with engine.begin() as conn:
            yield conn
        return
    with open(f"{path}.schema-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with engine.begin() as conn:
            yield conn
