"""resource_orders: the runnable-orders index holds only the orders without a requested start; the
ones with one get their own index, on that start. A look walked every order parked for a future
start (the old index did not hold `requested_start`); now it reads the first few of each index

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 18:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

RUNNABLE = "state IN ('acknowledged', 'pending') AND owner IS NULL"  # as rom.order_store.RUNNABLE
NOW = f"{RUNNABLE} AND requested_start IS NULL"  # as rom.order_store.RUNNABLE_NOW
SCHEDULED = f"{RUNNABLE} AND requested_start IS NOT NULL"  # as rom.order_store.RUNNABLE_SCHEDULED


def upgrade() -> None:
    op.drop_index("ix_resource_orders_runnable", table_name="resource_orders")
    _runnable_index(NOW)
    op.create_index(
        "ix_resource_orders_scheduled",
        "resource_orders",
        ["requested_start"],
        sqlite_where=sa.text(SCHEDULED),
        postgresql_where=sa.text(SCHEDULED),
    )


def downgrade() -> None:
    op.drop_index("ix_resource_orders_scheduled", table_name="resource_orders")
    op.drop_index("ix_resource_orders_runnable", table_name="resource_orders")
    _runnable_index(RUNNABLE)


def _runnable_index(where: str) -> None:
    op.create_index(
        "ix_resource_orders_runnable",
        "resource_orders",
        [sa.text("coalesce(priority, 5)"), "order_date"],
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )
