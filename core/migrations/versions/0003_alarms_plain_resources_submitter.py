"""TMF642 alarms, plain TMF639 resources (no catalog specification), and the order's authenticated
submitter (rows from before it keep '': the audit then reads the submitter ROM appended to relatedParty)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 03:53:20.257783
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alarms",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("ack_state", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("alarm_type", sa.String(length=64), nullable=False),
        sa.Column("alarmed_object", sa.String(length=255), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("raised", sa.DateTime(), nullable=False),
        sa.Column("doc", sa.JSON(), nullable=False),
        sa.Column("updated", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alarms_alarmed_object"), ["alarmed_object"], unique=False)
        batch_op.create_index(batch_op.f("ix_alarms_state"), ["state"], unique=False)

    op.create_table(
        "plain_resources",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("administrative_state", sa.String(length=16), nullable=False),
        sa.Column("operational_state", sa.String(length=16), nullable=False),
        sa.Column("resource_status", sa.String(length=16), nullable=False),
        sa.Column("usage_state", sa.String(length=16), nullable=False),
        sa.Column("doc", sa.JSON(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("updated", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("resource_orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("submitted_by", sa.String(length=255), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("resource_orders", schema=None) as batch_op:
        batch_op.drop_column("submitted_by")

    op.drop_table("plain_resources")
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alarms_state"))
        batch_op.drop_index(batch_op.f("ix_alarms_alarmed_object"))

    op.drop_table("alarms")
