"""A database created before a column was added keeps working: make_engine adds the column."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import inspect

from core.db import make_engine, make_sessionmaker
from inventory.records import list_devices


def test_devices_table_without_credentials_gets_the_column(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:  # the devices table as releases before credentials references
        db.execute(
            "CREATE TABLE devices (name VARCHAR(128) PRIMARY KEY, host VARCHAR(255) NOT NULL,"
            " port INTEGER NOT NULL, gnmi_port INTEGER, platform VARCHAR(64) NOT NULL,"
            " role VARCHAR(64) NOT NULL, source VARCHAR(255) NOT NULL)"
        )
        db.execute("INSERT INTO devices VALUES ('pe1', 'h', 830, NULL, 'netconf', 'pe', 'file:x')")
    engine = make_engine(f"sqlite:///{path}")
    assert "credentials" in {c["name"] for c in inspect(engine).get_columns("devices")}
    with make_sessionmaker(engine)() as session:
        [device] = list_devices(session)
    assert (device.name, device.credentials) == ("pe1", "")
    make_engine(f"sqlite:///{path}").dispose()  # a second start finds nothing to add
    engine.dispose()
