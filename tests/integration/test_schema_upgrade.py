"""Schema migrations (core/schema.py): a database of the previous release (46cb9b3: the baseline
tables, no version table), filled through the API, is refused by `rom serve` with the command to
run, upgraded by `rom db upgrade` with every row kept, and served afterwards; on SQLite and
PostgreSQL. A new database is built at the newest revision, equal to the models."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, MetaData, create_engine, func, select, text

from api.app import create_app
from core import schema
from core.db import Base, make_engine
from core.settings import Settings
from inventory.audit import AuditRow
from inventory.context import Context
from inventory.pool_store import ReservationRow
from inventory.records import Device, Resource, upsert_device
from lab.postgres import PostgresServer
from tests.all_tables import import_all_tables
from tests.integration.conftest import ORDERS, l3vpn_item, make_settings, order

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
HUBS = "/tmf-api/resourceOrderingManagement/v4/hub"
CANCEL = "/tmf-api/resourceOrderingManagement/v4/cancelResourceOrder"
RESOURCES = "/tmf-api/resourceInventoryManagement/v4/resource"


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    if request.param == "sqlite":
        yield make_settings(tmp_path)
        return
    server = request.getfixturevalue("postgres")
    assert isinstance(server, PostgresServer)
    yield make_settings(tmp_path, database_url=server.url)


def test_a_new_database_is_built_at_the_newest_revision_equal_to_the_models(settings: Settings) -> None:
    import_all_tables()
    engine = make_engine(settings.effective_database_url)
    try:
        assert schema.current_of(engine) == schema.head()
        assert schema.differences(engine, Base.metadata) == []
    finally:
        engine.dispose()


def test_the_previous_release_database_upgrades_with_every_row_kept(settings: Settings) -> None:
    url = settings.effective_database_url
    ids = _fill_through_the_api(settings)
    raw = create_engine(url)
    try:
        _as_the_previous_release_left_it(raw)
        before = _row_counts(raw)
        assert before["resource_orders"] == 3 and before["outbox"] > 0 and before["hubs"] == 1

        refused = _rom(settings, "serve", "--port", "1")
        assert refused.returncode == 2
        assert "run `rom db upgrade`" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
        assert _rom(settings, "db", "current").stdout.startswith(f"{schema.BASELINE} (this ROM needs")

        upgraded = _rom(settings, "db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stderr
        assert f"from {schema.BASELINE} to {schema.head()}" in upgraded.stdout
        assert _rom(settings, "db", "current").stdout.strip() == f"{schema.head()} (this ROM's revision)"
        after = _row_counts(raw)
        assert {name: after[name] for name in before} == before  # every row kept
        added = after.keys() - before.keys() - {"order_claims"}
        assert all(after[name] == 0 for name in added)  # tables added since: empty
        assert after["order_claims"] == 1  # the one waiting order, to be planned at intake as before
        import_all_tables()
        assert schema.differences(raw, Base.metadata) == []
    finally:
        raw.dispose()

    with TestClient(create_app(settings)) as client:  # served as before the upgrade
        for order_id, state in ids["orders"].items():
            assert client.get(f"{ORDERS}/{order_id}").json()["state"] == state
        assert client.get(f"{HUBS}/{ids['hub']}").status_code == 200
        assert client.get(f"{CANCEL}/{ids['cancel']}").status_code == 200
        assert client.get(f"{RESOURCES}/res-1").json()["name"] == "vpn on pe1"


def _fill_through_the_api(settings: Settings) -> dict[str, Any]:
    """Orders acknowledged, failed (an unreachable device) and cancelled, a hub, a cancel task;
    a resource, a reservation and an audit entry as a completed order leaves them."""
    ctx = Context.create(settings)
    with ctx.transaction() as session:
        upsert_device(session, Device(name="pe1", host="127.0.0.1", port=1, platform="rom-router"))
        session.add(
            Resource(id="res-1", name="vpn on pe1", spec_id="l3vpn", device="pe1", characteristics={})
        )
        session.add(
            ReservationRow(
                id="rsv-1",
                pool="vlan",
                scope="pe1",
                value="77",
                characteristic="vlanId",
                order_id="o",
                order_item_id="1",
                resource_id="res-1",
            )
        )
        session.add(
            AuditRow(
                device="pe1",
                action="confirm",
                outcome="confirmed",
                order_id="o",
                correlation_id="c",
                principal="som",
                protocols="netconf",
            )
        )
    ctx.engine.dispose()
    with TestClient(create_app(settings)) as client:
        hub = client.post(HUBS, json={"callback": "http://127.0.0.1:9/listener"}).json()["id"]
        waiting = client.post(
            ORDERS, json=order(l3vpn_item("1", "pe1", "VA", 77), requestedStartDate="2099-01-01T00:00:00Z")
        ).json()["id"]
        cancelled = client.post(
            ORDERS, json=order(l3vpn_item("1", "pe1", "VB", 78), requestedStartDate="2099-01-01T00:00:00Z")
        ).json()["id"]
        cancel = client.post(CANCEL, json={"resourceOrder": {"id": cancelled}}).json()["id"]
        failed = client.post(ORDERS, json=order(l3vpn_item("1", "pe1", "VC", 79))).json()["id"]
        states = {waiting: "acknowledged", cancelled: "cancelled", failed: "failed"}
        deadline = time.monotonic() + 60
        while (now := {o: client.get(f"{ORDERS}/{o}").json()["state"] for o in states}) != states:
            assert time.monotonic() < deadline, now
            time.sleep(0.2)
    return {"orders": states, "hub": hub, "cancel": cancel}


def _as_the_previous_release_left_it(engine: Engine) -> None:
    """Release 46cb9b3 made the baseline's tables with create_all and kept no version table."""
    with engine.begin() as conn:
        schema.downgrade_in(conn, schema.BASELINE)
        conn.execute(text("DROP TABLE alembic_version"))
    assert schema.current_of(engine) == schema.BASELINE


def _row_counts(engine: Engine) -> dict[str, int]:
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        return {
            name: conn.scalar(select(func.count()).select_from(table)) or 0
            for name, table in meta.tables.items()
            if name != "alembic_version"
        }


def _rom(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ROM_VAR_DIR": str(settings.var_dir), "ROM_DATABASE_URL": settings.database_url}
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=60
    )
