"""`rom db upgrade|current|history`: the database schema's revision (core/schema.py), read and
moved directly on ROM_DATABASE_URL. Stop or start `rom serve` around an upgrade as you like:
an upgrade takes a schema lock, and a `rom serve` started meanwhile waits for it."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Engine, create_engine

from core import schema
from core.settings import get_settings

app = typer.Typer(help="The database schema: upgrade it to this ROM's revision, or show where it is.")


def _engine() -> Engine:
    url = get_settings().effective_database_url
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return create_engine(url)


@app.command()
def upgrade() -> None:
    """Bring the database to this ROM's schema revision, keeping every row (a new database is built)."""
    engine = _engine()
    try:
        before, after = schema.upgrade(engine)
    finally:
        engine.dispose()
    if before == after:
        typer.echo(f"the database is at {after}, this ROM's revision: nothing to do")
    else:
        typer.echo(f"upgraded the database from {before or 'empty'} to {after}")


@app.command()
def current() -> None:
    """The database's revision, and whether this ROM can run on it."""
    engine = _engine()
    try:
        found = schema.current_of(engine)
    finally:
        engine.dispose()
    wanted = schema.head()
    if found == wanted:
        typer.echo(f"{found} (this ROM's revision)")
    elif found is None:
        typer.echo(f"empty (this ROM builds {wanted} when it starts)")
    else:
        typer.echo(f"{found} (this ROM needs {wanted}: run `rom db upgrade`)")


@app.command()
def history() -> None:
    """Every schema revision, newest first."""
    table = Table.grid(padding=(0, 2))  # the description wraps between words, indented under itself
    table.add_column(no_wrap=True)
    table.add_column()
    for rev in schema.history():
        table.add_row(rev.id, escape(" ".join(rev.doc.split())))
    Console().print(table, highlight=False)
