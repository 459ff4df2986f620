"""resource_orders: a partial index on the runnable orders (waiting to start, no owner) in the
order a worker takes them (priority, unset last; then order date): a look reads the first few
instead of sorting every waiting order

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 16:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

RUNNABLE = "state IN ('acknowledged', 'pending') AND owner IS NULL"  # as rom.order_store.RUNNABLE


def upgrade() -> None:
    op.create_index(
        "ix_resource_orders_runnable",
        "resource_orders",
        [sa.text("coalesce(priority, 5)"), "order_date"],
        sqlite_where=sa.text(RUNNABLE),
        postgresql_where=sa.text(RUNNABLE),
    )


def downgrade() -> None:
    op.drop_index("ix_resource_orders_runnable", table_name="resource_orders")
