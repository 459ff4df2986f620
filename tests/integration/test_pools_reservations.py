"""Resource pools through order intake and TMF639, on SQLite and on PostgreSQL with parallel intake."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from core.errors import Conflict, InvalidRequest
from core.tmf652 import ResourceOrderCreate
from intent.catalog import Catalog, ResourceSpec
from intent.planner import plan_order
from inventory.context import Context
from inventory.pool_store import ClaimRow, CounterRow, ReservationRow
from inventory.pools import define_pool, reservations_of
from inventory.records import Device, Resource, upsert_device
from lab.postgres import PostgresServer
from rom import order_store as store
from rom.finish import cancel_waiting, finish_order
from rom.orders import submit_order
from rom.transitions import set_state
from tests.integration.conftest import make_settings

LATER = "2099-01-01T00:00:00Z"


def with_test_spec(ctx: Context) -> None:
    """l3vpn-endpoint plus a spec drawing an RD (shared per VRF) and bandwidth, for the pool kinds."""
    base = ctx.catalog.get("l3vpn-endpoint")
    rd = base.model_copy(
        update={
            "id": "rd-test",
            "reservations": [
                {
                    "pool": "rd",
                    "characteristic": "routeDistinguisher",
                    "scope": ["device"],
                    "shareBy": "vrfName",
                },
                {
                    "pool": "vlan",
                    "characteristic": "vlanId",
                    "scope": ["device", "interface"],
                    "allocate": True,
                },
            ],
        }
    )
    ctx.catalog = Catalog(
        {
            **{s.id: s for s in ctx.catalog},
            "rd-test": ResourceSpec.model_validate(rd.model_dump(by_alias=True)),
        },
        ctx.catalog.root,
    )


def item(
    i: str,
    vlan: int | None,
    *,
    vrf: str = "A",
    rd: str = "65000:1",
    spec: str = "l3vpn-endpoint",
    **extra: Any,
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "device": "pe1",
        "vrfName": vrf,
        "routeDistinguisher": rd,
        "interface": "Ethernet2",
        "ipv4Address": f"10.9.{int(i) // 250}.{int(i) % 250 + 1}",
        "prefixLength": 31,
        **extra,
    }
    if vlan is not None:
        values["vlanId"] = vlan
    chars = [{"name": k, "value": v} for k, v in values.items()]
    return {
        "id": i,
        "action": "add",
        "resourceSpecification": {"id": spec},
        "resource": {"resourceCharacteristic": chars},
    }


def submit(ctx: Context, *items: dict[str, Any]) -> dict[str, Any]:
    body = ResourceOrderCreate.model_validate({"orderItem": list(items), "requestedStartDate": LATER})
    doc, _ = submit_order(ctx, body, "cid")
    return doc


def start(ctx: Context, order_id: str) -> None:
    with ctx.transaction() as session:
        row = store.get_order(session, order_id)
        assert row is not None
        set_state(session, row, "inProgress")


def counts(ctx: Context) -> tuple[int, int, int]:
    with ctx.sessions() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(t)) or 0
            for t in (ReservationRow, ClaimRow, store.OrderRow)
        )  # type: ignore[return-value]


def make_ctx(tmp_path: Path, url: str = "") -> Context:
    ctx = Context.create(make_settings(tmp_path, database_url=url))
    with ctx.transaction() as session:
        upsert_device(session, Device(name="pe1", host="127.0.0.1", port=1, platform="rom-router"))
    with_test_spec(ctx)
    return ctx


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    context = make_ctx(tmp_path)
    yield context
    context.engine.dispose()


def test_vlan_conflict_names_the_holder_and_writes_nothing(ctx: Context) -> None:
    first = submit(ctx, item("1", 100))
    before = counts(ctx)
    with pytest.raises(
        Conflict,
        match=f"vlanId 100 already reserved on pe1/Ethernet2 .* by resourceOrder {first['id']} item 1",
    ):
        submit(ctx, item("2", 100, vrf="B"))
    assert counts(ctx) == before


def test_allocation_fills_the_stored_request_and_two_items_never_share(ctx: Context) -> None:
    submit(ctx, item("1", 1))
    doc = submit(ctx, item("2", None, vrf="B"), item("3", None, vrf="C"))
    vlans = [
        next(c["value"] for c in it["resource"]["resourceCharacteristic"] if c["name"] == "vlanId")
        for it in doc["orderItem"]
    ]
    assert vlans == [2, 3]
    with ctx.sessions() as session:
        row = store.get_order(session, doc["id"])
        assert row is not None
        planned = plan_order(
            ResourceOrderCreate.model_validate(row.request), ctx.catalog, {"pe1": "rom-router"}
        )
    assert [p.values["vlanId"] for p in planned] == [2, 3]


def test_failure_and_cancel_release_completion_keeps_delete_releases(ctx: Context) -> None:
    failed = submit(ctx, item("1", 100))
    start(ctx, failed["id"])
    finish_order(ctx, failed["id"], [], ["boom"], False)
    cancelled = submit(ctx, item("1", 100))
    with ctx.transaction() as session:
        row = store.get_order(session, cancelled["id"])
        assert row is not None
        cancel_waiting(session, row)
    assert counts(ctx)[:2] == (0, 0)
    done = submit(ctx, item("1", 100))
    with ctx.sessions() as session:
        row = store.get_order(session, done["id"])
        assert row is not None
        planned = plan_order(
            ResourceOrderCreate.model_validate(row.request), ctx.catalog, {"pe1": "rom-router"}
        )
    start(ctx, done["id"])
    finish_order(ctx, done["id"], planned, [], False)
    with ctx.sessions() as session:
        [resource] = session.scalars(select(Resource)).all()
        assert {r.resource_id for r in reservations_of(session, order_id=done["id"])} == {resource.id}
    with pytest.raises(Conflict, match=f"by resource {resource.id}"):
        submit(ctx, item("2", 100, vrf="B"))


def test_rd_is_shared_within_a_vrf_only(ctx: Context) -> None:
    submit(ctx, item("1", 10, spec="rd-test", vrf="A", rd="65000:7"))
    submit(ctx, item("2", 11, spec="rd-test", vrf="A", rd="65000:7"))  # another endpoint of VRF A
    with pytest.raises(Conflict, match="routeDistinguisher 65000:7 already reserved on pe1"):
        submit(ctx, item("3", 12, spec="rd-test", vrf="B", rd="65000:7"))


def test_one_order_s_items_share_or_refuse_a_value_as_separate_orders_would(ctx: Context) -> None:
    """An item's values are claimed in one statement: within one order, a second ask for a value
    is still a share (same tag) or a refusal naming the earlier item (another tag)."""
    before = counts(ctx)
    with pytest.raises(Conflict, match=r"routeDistinguisher 65000:7 already reserved .* item 1$"):
        submit(
            ctx,
            item("1", 10, spec="rd-test", vrf="A", rd="65000:7"),
            item("2", 11, spec="rd-test", vrf="B", rd="65000:7"),
        )
    assert counts(ctx) == before
    submit(
        ctx,
        item("1", 10, spec="rd-test", vrf="A", rd="65000:7"),
        item("2", 11, spec="rd-test", vrf="A", rd="65000:7"),
    )
    with ctx.sessions() as session:
        rd = session.scalar(select(ClaimRow).where(ClaimRow.pool == "rd"))
        assert rd is not None and (rd.value, rd.refs) == ("65000:7", 2)
        assert len(reservations_of(session)) == 4  # two VLANs, one RD held twice


def test_capacity_pool_says_not_enough_capacity(ctx: Context) -> None:
    with ctx.transaction() as session:
        define_pool(
            session, "bandwidth", "capacity", {"capacity": 1000, "capacities": {"pe1/Ethernet1": 1500}}
        )
    qos = {"id": "1", "action": "add", "resourceSpecification": {"id": "transport-qos"}}

    def order(i: str, mbps: int) -> dict[str, Any]:
        values = {"device": "pe1", "interface": "Ethernet1", "queueName": f"Q{i}", "bandwidthMbps": mbps}
        return {
            **qos,
            "id": i,
            "resource": {"resourceCharacteristic": [{"name": k, "value": v} for k, v in values.items()]},
        }

    submit(ctx, order("1", 1000))
    with pytest.raises(
        Conflict,
        match=r"not enough capacity: bandwidthMbps 600 requested on pe1/Ethernet1 .* 500 of 1500 free",
    ):
        submit(ctx, order("2", 600))
    submit(ctx, order("3", 500))


Items = dict[str, Any] | tuple[dict[str, Any], ...]


def hammer(ctx: Context, bodies: Sequence[Items]) -> tuple[list[dict[str, Any]], list[Exception]]:
    """Submit every order (an item, or a tuple of items) at once from its own thread."""
    done: list[dict[str, Any]] = []
    errors: list[Exception] = []
    start = threading.Barrier(len(bodies))

    def run(body: Items) -> None:
        start.wait()
        try:
            done.append(submit(ctx, *(body if isinstance(body, tuple) else (body,))))
        except (Conflict, InvalidRequest) as exc:  # collected and checked below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done, errors


def test_parallel_intake_on_postgres_never_allocates_twice(tmp_path: Path, postgres: PostgresServer) -> None:
    ctx = make_ctx(tmp_path, postgres.url)
    same, errors = hammer(ctx, [item(str(i), 200, vrf=f"S{i}") for i in range(8)])
    assert len(same) == 1 and len(errors) == 7 and all(isinstance(e, Conflict) for e in errors)
    allocated, errors = hammer(ctx, [item(str(i), None, vrf=f"P{i}") for i in range(16)])
    assert errors == []
    vlans = [
        c["value"]
        for d in allocated
        for c in d["orderItem"][0]["resource"]["resourceCharacteristic"]
        if c["name"] == "vlanId"
    ]
    assert len(vlans) == 16 and len(set(vlans)) == 16 and 200 not in vlans
    with ctx.sessions() as session:  # one holder per claim (a claim counted twice is never freed)
        assert set(session.scalars(select(ClaimRow.refs))) == {1}
    with ctx.transaction() as session:
        define_pool(session, "bandwidth", "capacity", {"capacity": 1000})
    qos = [
        {
            "id": "1",
            "action": "add",
            "resourceSpecification": {"id": "transport-qos"},
            "resource": {
                "resourceCharacteristic": [
                    {"name": "device", "value": "pe1"},
                    {"name": "interface", "value": "Ethernet1"},
                    {"name": "queueName", "value": f"Q{i}"},
                    {"name": "bandwidthMbps", "value": 300},
                ]
            },
        }
        for i in range(8)
    ]
    taken, errors = hammer(ctx, qos)
    assert len(taken) == 3 and all("not enough capacity" in str(e) for e in errors)
    with ctx.sessions() as session:
        assert session.scalar(select(CounterRow.used).where(CounterRow.pool == "bandwidth")) == 900
    ctx.engine.dispose()
