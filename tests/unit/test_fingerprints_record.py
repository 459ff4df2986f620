"""Fingerprints recorded for many parts at once: new parts added, known ones updated in place."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from inventory import fingerprints
from inventory.context import Context


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    context = Context.create(Settings(var_dir=tmp_path))
    yield context
    context.engine.dispose()


def test_record_many_adds_new_parts_and_updates_known_ones(ctx: Context) -> None:
    with ctx.transaction() as session:
        fingerprints.record(session, "r1", "i-old", "a-old")
        fingerprints.record(session, "other", "i", "a")
    with ctx.transaction() as session:
        fingerprints.record_many(session, {"r1": ("i-new", "a-new"), "r2:ue": ("i2", "a2")})
        fingerprints.record_many(session, {})
    with ctx.sessions() as session:
        rows = fingerprints.fingerprints(session, ["r1", "r2:ue", "other"])
        found = {key: (row.intended, row.actual) for key, row in rows.items()}
    assert found == {"r1": ("i-new", "a-new"), "r2:ue": ("i2", "a2"), "other": ("i", "a")}
