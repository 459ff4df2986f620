"""resource_orders.yang_checked: what intake's YANG check vouched for (the model set and the rendered
payloads), so the executor does not check again before stage; rows from before it are NULL (checked
before stage, as an order stored while validation was off)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 05:58:45.327924
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("resource_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("yang_checked", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("resource_orders", schema=None) as batch_op:
        batch_op.drop_column("yang_checked")
