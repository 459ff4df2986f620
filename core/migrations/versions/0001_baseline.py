"""baseline: the schema of release 46cb9b3, the last one made by create_all

Revision ID: 0001
Revises:
Create Date: 2026-12-07 02:55:47.025381
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("time", sa.DateTime(), nullable=False),
        sa.Column("device", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=True),
        sa.Column("correlation_id", sa.String(length=128), nullable=False),
        sa.Column("principal", sa.String(length=255), nullable=False),
        sa.Column("protocols", sa.String(length=64), nullable=False),
        sa.Column("diff", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_correlation_id"), ["correlation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_device"), ["device"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_principal"), ["principal"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_time"), ["time"], unique=False)

    op.create_table(
        "cancel_orders",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("doc", sa.JSON(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("cancel_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cancel_orders_created"), ["created"], unique=False)
        batch_op.create_index(batch_op.f("ix_cancel_orders_order_id"), ["order_id"], unique=False)

    op.create_table(
        "device_locks",
        sa.Column("device", sa.String(length=128), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("device"),
    )
    with op.batch_alter_table("device_locks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_locks_order_id"), ["order_id"], unique=False)

    op.create_table(
        "devices",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("gnmi_port", sa.Integer(), nullable=True),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("credentials", sa.String(length=64), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "drift_fingerprints",
        sa.Column("resource_id", sa.String(length=64), nullable=False),
        sa.Column("intended", sa.String(length=64), nullable=False),
        sa.Column("actual", sa.String(length=64), nullable=False),
        sa.Column("recorded", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("resource_id"),
    )
    op.create_table(
        "hub_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hub_id", sa.String(length=64), nullable=False),
        sa.Column("callback", sa.String(length=2048), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.String(length=1024), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("hub_deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hub_deliveries_next_attempt"), ["next_attempt"], unique=False)
        batch_op.create_index(batch_op.f("ix_hub_deliveries_seq"), ["seq"], unique=False)
        batch_op.create_index(batch_op.f("ix_hub_deliveries_status"), ["status"], unique=False)

    op.create_table(
        "hubs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("callback", sa.String(length=2048), nullable=False),
        sa.Column("query", sa.String(length=2048), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=False),
        sa.Column("until", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "order_steps",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("order_steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_steps_order_id"), ["order_id"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("delivered", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_table(
        "pool_claims",
        sa.Column("pool", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=255), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column("tag", sa.String(length=255), nullable=False),
        sa.Column("refs", sa.Integer(), nullable=False),
        sa.CheckConstraint("refs >= 0", name="ck_claim_refs"),
        sa.PrimaryKeyConstraint("pool", "scope", "value"),
    )
    op.create_table(
        "pool_counters",
        sa.Column("pool", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=255), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.CheckConstraint("used >= 0 AND used <= capacity", name="ck_counter_used"),
        sa.PrimaryKeyConstraint("pool", "scope"),
    )
    op.create_table(
        "pools",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "reservations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("pool", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=255), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("characteristic", sa.String(length=128), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("order_item_id", sa.String(length=64), nullable=False),
        sa.Column("resource_id", sa.String(length=64), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.create_index("ix_reservations_order", ["order_id", "order_item_id"], unique=False)
        batch_op.create_index("ix_reservations_resource", ["resource_id"], unique=False)
        batch_op.create_index("ix_reservations_value", ["pool", "scope", "value"], unique=False)

    op.create_table(
        "resource_orders",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("category", sa.String(length=255), nullable=True),
        sa.Column("order_type", sa.String(length=255), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=True),
        sa.Column("order_date", sa.DateTime(), nullable=False),
        sa.Column("requested_start", sa.DateTime(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=512), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("devices", sa.JSON(), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("correlation_id", sa.String(length=128), nullable=False),
        sa.Column("doc", sa.JSON(), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("updated", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("resource_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resource_orders_external_id"), ["external_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_resource_orders_lease_until"), ["lease_until"], unique=False)
        batch_op.create_index(batch_op.f("ix_resource_orders_order_date"), ["order_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_resource_orders_state"), ["state"], unique=False)

    op.create_table(
        "resources",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("spec_id", sa.String(length=128), nullable=False),
        sa.Column("spec_version", sa.String(length=32), nullable=False),
        sa.Column("device", sa.String(length=128), nullable=False),
        sa.Column("characteristics", sa.JSON(), nullable=False),
        sa.Column("administrative_state", sa.String(length=16), nullable=False),
        sa.Column("operational_state", sa.String(length=16), nullable=False),
        sa.Column("resource_status", sa.String(length=16), nullable=False),
        sa.Column("status_by", sa.String(length=16), nullable=False),
        sa.Column("usage_state", sa.String(length=16), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("order_item_id", sa.String(length=64), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("updated", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device"],
            ["devices.name"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("resources")
    with op.batch_alter_table("resource_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_orders_state"))
        batch_op.drop_index(batch_op.f("ix_resource_orders_order_date"))
        batch_op.drop_index(batch_op.f("ix_resource_orders_lease_until"))
        batch_op.drop_index(batch_op.f("ix_resource_orders_external_id"))

    op.drop_table("resource_orders")
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.drop_index("ix_reservations_value")
        batch_op.drop_index("ix_reservations_resource")
        batch_op.drop_index("ix_reservations_order")

    op.drop_table("reservations")
    op.drop_table("pools")
    op.drop_table("pool_counters")
    op.drop_table("pool_claims")
    op.drop_table("outbox")
    with op.batch_alter_table("order_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_steps_order_id"))

    op.drop_table("order_steps")
    op.drop_table("leases")
    op.drop_table("hubs")
    with op.batch_alter_table("hub_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hub_deliveries_status"))
        batch_op.drop_index(batch_op.f("ix_hub_deliveries_seq"))
        batch_op.drop_index(batch_op.f("ix_hub_deliveries_next_attempt"))

    op.drop_table("hub_deliveries")
    op.drop_table("drift_fingerprints")
    op.drop_table("devices")
    with op.batch_alter_table("device_locks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_locks_order_id"))

    op.drop_table("device_locks")
    with op.batch_alter_table("cancel_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cancel_orders_order_id"))
        batch_op.drop_index(batch_op.f("ix_cancel_orders_created"))

    op.drop_table("cancel_orders")
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_time"))
        batch_op.drop_index(batch_op.f("ix_audit_principal"))
        batch_op.drop_index(batch_op.f("ix_audit_order_id"))
        batch_op.drop_index(batch_op.f("ix_audit_device"))
        batch_op.drop_index(batch_op.f("ix_audit_correlation_id"))

    op.drop_table("audit")
