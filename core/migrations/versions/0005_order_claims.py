"""order_claims: what unfinished orders' adds will own, written once at intake (so an intake looks
up the paths it wants instead of planning every waiting order). Orders unfinished at the upgrade
get one "unplanned" row each: intake plans those from their stored request, as before.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 06:04:11.357252
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TERMINAL = ("rejected", "cancelled", "completed", "failed", "partial")


def upgrade() -> None:
    op.create_table(
        "order_claims",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("resource_name", sa.String(length=512), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("device", sa.String(length=128), nullable=False),
        sa.Column("family", sa.String(length=16), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("order_claims", schema=None) as batch_op:
        batch_op.create_index("ix_order_claims_device_path", ["device", "path"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_claims_order_id"), ["order_id"], unique=False)
    states = ", ".join(f"'{s}'" for s in TERMINAL)
    op.execute(
        "INSERT INTO order_claims (order_id, item_id, resource_name, part, device, family, path, value) "
        f"SELECT id, '', '', -1, '', 'unplanned', '', '' FROM resource_orders WHERE state NOT IN ({states})"
    )


def downgrade() -> None:
    with op.batch_alter_table("order_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_claims_order_id"))
        batch_op.drop_index("ix_order_claims_device_path")
    op.drop_table("order_claims")
