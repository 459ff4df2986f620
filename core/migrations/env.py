"""Alembic's entry point for ROM's schema (`core.schema` runs it; there is no alembic.ini).

The revisions build tables with plain column types, so this file needs no model: `core.schema`
hands over the connection, and `target_metadata` only when it autogenerates a new revision."""

from __future__ import annotations

from alembic import context

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=config.attributes.get("metadata"),
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters a table by copying it
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
