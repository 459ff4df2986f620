"""order_claims: on SQLite, an index on (device, path, value), so that intake's look-up of the
waiting orders' claims (`rom.order_claims`) passes over the rows holding the value it wants in the
index, without reading them: every order waiting on a device holds its shared leaves (an
interface's name) with the same value, and intake's cost grew with their number. Not on
PostgreSQL: its look-up reads the rows anyway, and a btree entry is limited to ~2.7 kB (a long
leaf value would fail the insert).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 19:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

NAME = "ix_order_claims_device_path_value"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.create_index(NAME, "order_claims", ["device", "path", "value"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index(NAME, table_name="order_claims")
