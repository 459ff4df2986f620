"""The console's order list read (api/console/reads.py) on both databases: the item count comes from
the database, the submitter from `submitted_by`, or from the stored document for an order written
before that column existed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from api.console import reads
from core.settings import Settings
from inventory.context import Context
from lab.postgres import PostgresServer
from rom.order_store import OrderRow

pytestmark = pytest.mark.integration
OLD_SUBMITTER = {"name": "som-before", "role": "submitter", "@referredType": "APIClient"}
CLIENT_PARTY = {"name": "says-who", "role": "submitter"}  # from the body: never trusted


def fill(ctx: Context) -> datetime:
    at = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)
    rows = [  # (id, items, submitted_by, relatedParty in the doc, order date)
        ("new-3", 3, "som", [CLIENT_PARTY], at),
        ("old-1", 1, "", [CLIENT_PARTY, OLD_SUBMITTER], at - timedelta(minutes=1)),
        ("none-0", 0, "", [], at - timedelta(minutes=2)),
    ]
    with ctx.transaction() as session:
        session.execute(
            insert(OrderRow),
            [
                {
                    "id": oid, "state": "completed", "order_date": when, "updated": when, "request_hash": "-",
                    "correlation_id": f"corr-{oid}", "submitted_by": by, "request": {}, "devices": [],
                    "attempts": 1, "name": None,
                    "doc": {"id": oid, "relatedParty": parties}
                    | ({"orderItem": [{"id": str(i)} for i in range(items)]} if items else {}),
                }
                for oid, items, by, parties, when in rows
            ],
        )  # fmt: skip
    return at


def check(ctx: Context) -> None:
    at = fill(ctx)
    lines, total = reads.order_lines(ctx, limit=10)
    assert total == 3
    assert [(x.id, x.items, x.submitter, x.correlation_id) for x in lines] == [
        ("new-3", 3, "som", "corr-new-3"),
        ("old-1", 1, "som-before", "corr-old-1"),
        ("none-0", 0, "unknown", "corr-none-0"),
    ]
    assert lines[0].order_date == at
    changed = reads.changed_since(ctx, at - timedelta(seconds=90))
    assert [(when, line.id, line.items) for when, line in changed] == [
        (at - timedelta(minutes=1), "old-1", 1),
        (at, "new-3", 3),
    ]


def test_order_lines_on_sqlite(tmp_path: Path) -> None:
    check(Context.create(Settings(var_dir=tmp_path)))


def test_order_lines_on_postgresql(tmp_path: Path, postgres: PostgresServer) -> None:
    check(Context.create(Settings(var_dir=tmp_path, database_url=postgres.url)))
