"""core.db.Prepared: statements run on the driver's cursor still raise SQLAlchemy's errors and give
rows typed as SQLAlchemy types them; `numbered` IN lists match what a plain IN list matches."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, create_engine, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from core.db import Prepared, UtcDateTime, numbered, numbered_in

META = MetaData()
ITEMS = Table(
    "items",
    META,
    Column("id", Integer, primary_key=True),
    Column("name", String, unique=True),
    Column("doc", JSON),
    Column("at", UtcDateTime()),
)
GONE = Table("gone", MetaData(), Column("id", Integer))  # never created
ADD = Prepared(insert(ITEMS), ["id", "name"])


def test_driver_errors_are_raised_as_sqlalchemy_errors_and_the_session_goes_on() -> None:
    engine = create_engine("sqlite://")
    META.create_all(engine)
    with Session(engine) as session:
        ADD.execute(session, {"id": 1, "name": "pe1"})
        with pytest.raises(IntegrityError):  # what intake's handlers and retries catch
            ADD.execute(session, {"id": 2, "name": "pe1"})
        session.rollback()
        with pytest.raises(IntegrityError):
            ADD.many(session, [{"id": 3, "name": "pe3"}, {"id": 4, "name": "pe3"}])
        session.rollback()
        with pytest.raises(OperationalError):  # e.g. a locked or lost database: a 503, not a 500
            Prepared(select(GONE.c.id)).execute(session, {})
        session.rollback()
        ADD.execute(session, {"id": 5, "name": "pe5"})
        assert session.execute(select(ITEMS.c.name)).scalars().all() == ["pe5"]


def test_rows_are_typed_as_sqlalchemy_types_them_and_in_lists_are_padded() -> None:
    engine = create_engine("sqlite://")
    META.create_all(engine)
    at = datetime(2030, 1, 2, 3, 4, 5, 6000, tzinfo=UTC)
    with Session(engine) as session:
        for n in range(1, 6):
            ADD_ALL.execute(session, {"id": n, "name": f"pe{n}", "doc": {"n": [n]}, "at": at})
        query = select(ITEMS).order_by(ITEMS.c.id)
        assert Prepared(query).execute(session, {}) == [tuple(r) for r in session.execute(query)]
        assert Prepared(query).execute(session, {})[0][2:] == ({"n": [1]}, at)  # JSON decoded, zone-aware
        assert numbered("n", []) == (0, {})
        assert numbered("n", ["a", "b", "c"]) == (4, {"n0": "a", "n1": "b", "n2": "c", "n3": "c"})
        for names in (["pe1"], ["pe2", "pe9"], ["pe1", "pe3", "pe5"], ["pe4", "pe2", "pe3", "pe1", "pe5"]):
            size, params = numbered("n", names)
            named = Prepared(select(ITEMS.c.name).where(ITEMS.c.name.in_(numbered_in("n", size))))
            found = sorted(name for (name,) in named.execute(session, params))
            assert found == sorted(set(names) - {"pe9"})


ADD_ALL = Prepared(insert(ITEMS), ["id", "name", "doc", "at"])
