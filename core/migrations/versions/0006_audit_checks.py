"""audit.checks: what an order's post-checks found (reachability: pair, answered/sent, loss, RTT),
on each of its audit entries; entries from before keep NULL (read as no checks)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 06:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checks", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.drop_column("checks")
