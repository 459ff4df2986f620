"""PRB share per cell and PDU sessions per UPF: the 5G slice specs' capacity pools.

Taken at intake with the order item, refused over capacity with the cell/UPF, requested and free
amounts, released on failure, cancel and TMF639 delete; on PostgreSQL, parallel orders never
over-allocate either pool; each UPF's capacity is read from the device (simulated UPF, NETCONF).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from api.app import create_app
from cli import app
from core.errors import Conflict
from core.settings import get_settings
from core.tmf652 import ResourceOrderCreate
from intent.catalog import Catalog
from intent.planner import plan_order
from inventory.context import Context
from inventory.pool_store import CounterRow, ReservationRow
from inventory.pool_sync import EXT, ME, UPF, sync_upf_sessions
from inventory.pools import define_pool, get_pool, reservations_of
from inventory.records import Device, Resource, upsert_device
from inventory.resources import delete_resource
from lab.postgres import PostgresServer
from lab.support import free_port, netconf_connect
from rom import order_store as store
from rom.finish import cancel_waiting, finish_order
from rom.orders import current_resources
from sims.fleet import FleetThread, SimDeviceSpec
from tests.integration.conftest import ORDERS, make_settings, register_fleet
from tests.integration.test_pools_reservations import LATER, hammer, start, submit

DEVICES = {"gnb1": "rom-ran", "upf1": "rom-5gc", "smf1": "rom-5gc"}


def chars(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": k, "value": v} for k, v in values.items()]


def ran(i: str, share: int, cell: str = "1") -> dict[str, Any]:
    values = {"device": "gnb1", "cellId": cell, "policyId": f"p{i}", "sst": 2, "sd": f"{int(i):06X}"}
    values |= {"maxRatio": 100, "minRatio": share, "dedicatedRatio": share}
    return {
        "id": f"ran{i}",
        "action": "add",
        "resourceSpecification": {"id": "slice-ran"},
        "resource": {"resourceCharacteristic": chars(values)},
    }


def core(i: str, sessions: int | None) -> dict[str, Any]:
    values: dict[str, Any] = {"upfDevice": "upf1", "smfDevice": "smf1", "sst": 2, "sd": f"{int(i):06X}"}
    values |= {"dnn": f"dnn{i}"} | ({"pduSessions": sessions} if sessions is not None else {})
    return {
        "id": f"core{i}",
        "action": "add",
        "resourceSpecification": {"id": "slice-core"},
        "resource": {"resourceCharacteristic": chars(values)},
    }


def used(ctx: Context) -> dict[tuple[str, str], int]:
    with ctx.sessions() as session:
        return {(c.pool, c.scope): c.used for c in session.scalars(select(CounterRow))}


def make_ctx(tmp_path: Path, url: str = "") -> Context:
    ctx = Context.create(make_settings(tmp_path, database_url=url))
    with ctx.transaction() as session:
        for name, platform in DEVICES.items():
            upsert_device(session, Device(name=name, host="127.0.0.1", port=1, platform=platform))
    return ctx


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    context = make_ctx(tmp_path)
    yield context
    context.engine.dispose()


def test_the_slice_specs_declare_both_pools() -> None:
    catalog = Catalog.load()
    assert catalog.get("slice-ran").reservations == [
        {"pool": "prb", "characteristic": "minRatio", "scope": ["device", "duId", "cellId"]}
    ]
    assert catalog.get("slice-core").reservations == [
        {
            "pool": "upf-sessions",
            "characteristic": "pduSessions",
            "scope": ["upfDevice"],
            "setsCapacity": "upfMaxSessions",
        }
    ]


def test_prb_share_per_cell_refused_over_100_with_the_reason(ctx: Context) -> None:
    submit(ctx, ran("1", 60), ran("2", 30, cell="2"))
    submit(ctx, ran("3", 30))
    with ctx.sessions() as session:
        before = len(reservations_of(session))
    with pytest.raises(
        Conflict,
        match=r"orderItem ran4: not enough capacity: minRatio 20 requested on gnb1/1/1 "
        r"\(device/duId/cellId, pool prb\), 10 of 100 free",
    ):
        submit(ctx, core("4", 100), ran("4", 20))  # the core item fits: the whole order is refused
    with ctx.sessions() as session:
        assert len(reservations_of(session)) == before
    assert used(ctx) == {("prb", "gnb1/1/1"): 90, ("prb", "gnb1/1/2"): 30}
    submit(ctx, ran("5", 10))  # exactly the rest
    assert used(ctx)[("prb", "gnb1/1/1")] == 100


def test_upf_sessions_refused_over_capacity_and_a_cell_may_say_otherwise(ctx: Context) -> None:
    with ctx.transaction() as session:
        define_pool(session, "upf-sessions", "capacity", {"capacity": 5000})
        define_pool(session, "prb", "capacity", {"capacity": 100, "capacities": {"gnb1/1/2": 50}})
    submit(ctx, core("1", 3000), core("2", None))  # no pduSessions: nothing reserved
    with pytest.raises(
        Conflict,
        match=r"pduSessions 2500 requested on upf1 \(upfDevice, pool upf-sessions\), 2000 of 5000 free",
    ):
        submit(ctx, core("3", 2500))
    with pytest.raises(Conflict, match=r"minRatio 60 requested on gnb1/1/2 .* 50 of 50 free"):
        submit(ctx, ran("4", 60, cell="2"))
    submit(ctx, ran("5", 60, cell="1"))
    assert used(ctx) == {("upf-sessions", "upf1"): 3000, ("prb", "gnb1/1/1"): 60}


def test_failure_cancel_and_delete_release_completion_keeps(ctx: Context) -> None:
    failed = submit(ctx, ran("1", 70), core("1", 6000))
    start(ctx, failed["id"])
    finish_order(ctx, failed["id"], [], ["gnb1[gnmi]: commit rejected"], False)
    assert set(used(ctx).values()) == {0}
    cancelled = submit(ctx, ran("2", 70), core("2", 6000))
    with ctx.transaction() as session:
        row = store.get_order(session, cancelled["id"])
        assert row is not None
        cancel_waiting(session, row)
    assert set(used(ctx).values()) == {0}
    done = submit(ctx, ran("3", 70), core("3", 6000))
    complete(ctx, done["id"])
    with ctx.sessions() as session:
        resources = {r.spec_id: r.id for r in session.scalars(select(Resource))}
        holders = {(r.pool, r.resource_id) for r in reservations_of(session, order_id=done["id"])}
    assert holders == {("prb", resources["slice-ran"]), ("upf-sessions", resources["slice-core"])}
    with pytest.raises(Conflict, match="4000 of 10000 free"):
        submit(ctx, core("4", 6000))
    delete_resource(ctx, resources["slice-core"], "cid")
    assert used(ctx) == {("prb", "gnb1/1/1"): 70, ("upf-sessions", "upf1"): 0}
    submit(ctx, core("4", 6000))


def complete(ctx: Context, order_id: str) -> None:
    """Record an order as completed, as the executor does after a successful push."""
    with ctx.sessions() as session:
        row = store.get_order(session, order_id)
        assert row is not None
        body = ResourceOrderCreate.model_validate(row.request)
        planned = plan_order(body, ctx.catalog, DEVICES, current_resources(session, body))
    start(ctx, order_id)
    finish_order(ctx, order_id, planned, [], False)


def modify(i: str, resource_id: str, share: int) -> dict[str, Any]:
    values = {"minRatio": share, "dedicatedRatio": share}
    return {
        "id": i,
        "action": "modify",
        "resource": {"id": resource_id, "resourceCharacteristic": chars(values)},
    }


def test_a_modify_takes_only_the_increase_and_gives_it_back_on_failure(ctx: Context) -> None:
    done = submit(ctx, ran("1", 30))
    complete(ctx, done["id"])
    with ctx.sessions() as session:
        [resource_id] = session.scalars(select(Resource.id)).all()
    submit(ctx, ran("2", 40))
    with pytest.raises(
        Conflict, match=r"orderItem m1: .*minRatio 40 requested on gnb1/1/1 .* 30 of 100 free"
    ):
        submit(ctx, modify("m1", resource_id, 70))  # 30 -> 70 needs 40 more
    raised = submit(ctx, modify("m2", resource_id, 60))  # 30 more: exactly what is free
    assert used(ctx) == {("prb", "gnb1/1/1"): 100}
    start(ctx, raised["id"])
    finish_order(ctx, raised["id"], [], ["gnb1[gnmi]: commit rejected"], False)
    assert used(ctx) == {("prb", "gnb1/1/1"): 70}  # the resource keeps its 30
    with ctx.sessions() as session:
        assert [r.amount for r in reservations_of(session, resource_id=resource_id)] == [30]
    lowered = submit(ctx, modify("m3", resource_id, 10))  # a decrease takes nothing...
    with ctx.sessions() as session:
        assert reservations_of(session, order_id=lowered["id"]) == []
    complete(ctx, lowered["id"])  # ...and gives 20 back once it is done
    assert used(ctx) == {("prb", "gnb1/1/1"): 50}
    with ctx.sessions() as session:
        assert [r.amount for r in reservations_of(session, resource_id=resource_id)] == [10]


def test_api_answers_409_with_a_tmf_error_naming_the_cell(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    ctx = make_ctx(tmp_path)
    with TestClient(create_app(settings)) as client:
        first = {"orderItem": [ran("1", 80)], "requestedStartDate": LATER}
        assert client.post(ORDERS, json=first).status_code == 201
        response = client.post(ORDERS, json={"orderItem": [ran("2", 30)], "requestedStartDate": LATER})
        assert response.status_code == 409, response.text
        body = response.json()
        assert body["code"] and body["reason"]
        assert "minRatio 30 requested on gnb1/1/1" in body["message"] and "20 of 100 free" in body["message"]
        assert len(client.get(ORDERS).json()) == 1
    ctx.engine.dispose()


def test_parallel_slice_orders_on_postgres_never_over_allocate(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    ctx = make_ctx(tmp_path, postgres.url)
    # 8 orders of 30 % PRB + 2000 sessions each: the cell fits exactly three of them
    taken, errors = hammer(ctx, [(core(str(i), 2000), ran(str(i), 30)) for i in range(8)])
    assert len(taken) == 3 and len(errors) == 5
    assert all("minRatio 30 requested on gnb1/1/1" in str(e) for e in errors), errors
    assert used(ctx) == {("prb", "gnb1/1/1"): 90, ("upf-sessions", "upf1"): 6000}
    # then sessions bind: 4000 free, eight orders of 1500 -> exactly two
    taken, errors = hammer(ctx, [core(str(10 + i), 1500) for i in range(8)])
    assert len(taken) == 2 and len(errors) == 6
    assert all("pduSessions 1500 requested on upf1" in str(e) for e in errors), errors
    with ctx.sessions() as session:
        rows = list(session.scalars(select(ReservationRow)))
    assert (
        sum(r.amount for r in rows if r.pool == "upf-sessions") == 9000 == used(ctx)[("upf-sessions", "upf1")]
    )
    assert sum(r.amount for r in rows if r.pool == "prb") == 90
    ctx.engine.dispose()


def set_max_sessions(fleet: FleetThread, device: str, sessions: int) -> None:
    ep = fleet.endpoint(device)
    config = (
        "<config xmlns='urn:ietf:params:xml:ns:netconf:base:1.0'>"
        f"<ManagedElement xmlns='{ME}'><id>{device}</id><UPFFunction xmlns='{UPF}'><id>{device}</id>"
        f"<attributes><maxSessions xmlns='{EXT}'>{sessions}</maxSessions>"
        "</attributes></UPFFunction></ManagedElement></config>"
    )
    with netconf_connect(ep.host, ep.netconf_port, timeout=10) as m:
        m.edit_config(config=config, target="candidate")
        m.commit()


def test_pool_sync_takes_each_upf_capacity_from_the_device(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = [SimDeviceSpec("upf1", "upf"), SimDeviceSpec("smf1", "smf"), SimDeviceSpec("gnb1", "gnb")]
    with FleetThread(specs) as fleet:
        ctx = Context.create(make_settings(tmp_path))
        register_fleet(ctx, fleet)
        with ctx.transaction() as session:  # a UPF that does not answer
            upsert_device(
                session, Device(name="upf9", host="127.0.0.1", port=free_port(), platform="rom-5gc")
            )
        set_max_sessions(fleet, "upf1", 1234)
        result = sync_upf_sessions(ctx)
        assert result.found == {"upf1": 1234} and set(result.problems) == {"upf9"}
        assert result.pool.capacity("upf1") == 1234 and result.pool.capacity("upf9") == 10_000
        with pytest.raises(Conflict, match=r"pduSessions 1235 requested on upf1 .* 1234 of 1234 free"):
            submit(ctx, core("1", 1235))
        submit(ctx, core("2", 1000))
        set_max_sessions(fleet, "upf1", 999)  # the UPF shrank below what is reserved on it
        with pytest.raises(Conflict, match="pool upf-sessions: upf1 already uses 1000"):
            sync_upf_sessions(ctx)
        set_max_sessions(fleet, "upf1", 4000)
        monkeypatch.setenv("ROM_VAR_DIR", str(tmp_path))
        get_settings.cache_clear()
        try:
            out = CliRunner().invoke(app, ["inventory", "pool-sync"])
        finally:
            get_settings.cache_clear()
        assert out.exit_code == 1, out.output  # upf9 was not read
        assert "upf1: 4000 PDU sessions" in out.output and "upf9" in out.output
        assert used(ctx) == {("upf-sessions", "upf1"): 1000}
        with ctx.sessions() as session:
            assert get_pool(session, "upf-sessions").capacity("upf1") == 4000
        ctx.engine.dispose()


def with_max_sessions(item: dict[str, Any], max_sessions: int) -> dict[str, Any]:
    item["resource"]["resourceCharacteristic"].append({"name": "upfMaxSessions", "value": max_sessions})
    return item


def test_an_order_that_sets_upf_max_sessions_sets_the_pool_capacity(ctx: Context) -> None:
    with ctx.transaction() as session:
        define_pool(session, "upf-sessions", "capacity", {"capacity": 10_000, "capacities": {"upf1": 10_000}})
    submit(ctx, core("1", 8_000))
    with pytest.raises(Conflict, match=r"not enough capacity"):
        submit(ctx, core("2", 4_000))  # 12,000 on a 10,000 UPF
    with pytest.raises(
        Conflict, match=r"upfMaxSessions 5000 is below the 8000 pduSessions already reserved on upf1"
    ):
        submit(ctx, with_max_sessions(core("5", 100), 5_000))
    submit(ctx, with_max_sessions(core("3", 4_000), 20_000))  # the order raises the UPF: its 4,000 fit
    with ctx.sessions() as session:
        assert get_pool(session, "upf-sessions").capacity("upf1") == 20_000
        assert session.scalar(select(CounterRow.capacity).where(CounterRow.scope == "upf1")) == 20_000
    with pytest.raises(Conflict, match=r"maxSessions on upf1 is owned by"):  # one owner per path
        submit(ctx, with_max_sessions(core("4", 100), 15_000))
    with ctx.sessions() as session:
        assert get_pool(session, "upf-sessions").capacity("upf1") == 20_000  # refusals changed nothing
