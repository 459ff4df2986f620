"""outbox.delivered indexed: the relay finds undelivered events without scanning every event ever sent

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 02:57:45.340574
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_delivered"), ["delivered"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_delivered"))
