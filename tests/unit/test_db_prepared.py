"""core.db.Prepared: statements run on the driver's cursor still raise SQLAlchemy's errors."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from core.db import Prepared

META = MetaData()
ITEMS = Table("items", META, Column("id", Integer, primary_key=True), Column("name", String, unique=True))
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
