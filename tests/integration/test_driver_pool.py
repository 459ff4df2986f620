"""Pooled NETCONF sessions under Nornir, against the simulator: reuse across transactions,
dead sessions replaced. Session identity is read from the simulator, not from the client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from drivers.nornir_plugins import make_nornir
from drivers.pool import SessionPool
from drivers.transaction import run_transaction
from lab.backends import oc_subif_payload, sim_backend
from sims.fleet import FleetThread, SimDeviceSpec

pytestmark = pytest.mark.integration


@pytest.fixture
def fleet() -> Iterator[FleetThread]:
    with FleetThread([SimDeviceSpec("pe1"), SimDeviceSpec("pe2")]) as f:
        yield f


def sessions(fleet: FleetThread, name: str) -> list[int]:
    return fleet.call(lambda f: f.device(name).session_ids)


def transaction(fleet: FleetThread, pool: SessionPool | None, i: int) -> None:
    targets = [sim_backend(fleet, n).target for n in ("pe1", "pe2")]
    nr = make_nornir(targets, workers=2, pool=pool)
    payloads = {n: oc_subif_payload(i) for n in ("pe1", "pe2")}
    out = run_transaction(nr, payloads, confirm_timeout=120, persist_id=f"tx-{i}")
    assert out.ok, out.errors


def test_two_transactions_in_a_row_reuse_one_session_per_device(fleet: FleetThread) -> None:
    pool = SessionPool()
    transaction(fleet, pool, 1)
    first = {n: sessions(fleet, n) for n in ("pe1", "pe2")}
    assert all(len(ids) == 1 for ids in first.values()), first  # kept open, idle in the pool
    transaction(fleet, pool, 2)
    assert {n: sessions(fleet, n) for n in ("pe1", "pe2")} == first
    assert (pool.stats.opened, pool.stats.reused) == (2, 2)
    assert sim_backend(fleet, "pe1").items() == {"1", "2"}
    pool.close_all()
    assert sessions(fleet, "pe1") == [] and sessions(fleet, "pe2") == []


def test_without_a_pool_every_transaction_opens_and_closes_its_sessions(fleet: FleetThread) -> None:
    transaction(fleet, None, 1)
    assert sessions(fleet, "pe1") == [] and sessions(fleet, "pe2") == []


def test_a_killed_session_is_replaced_not_handed_out(fleet: FleetThread) -> None:
    pool = SessionPool(probe_after=0)  # always probe an idle session before handing it out
    transaction(fleet, pool, 1)
    [killed] = sessions(fleet, "pe1")
    assert fleet.call(lambda f: f.device("pe1").kill_session(killed))
    transaction(fleet, pool, 2)
    [now] = sessions(fleet, "pe1")
    assert now != killed
    assert pool.stats.replaced == 1 and pool.stats.opened == 3
    assert sim_backend(fleet, "pe1").items() == {"1", "2"}
    pool.close_all()


def test_a_session_left_locked_is_not_pooled(fleet: FleetThread) -> None:
    pool = SessionPool()
    driver = sim_backend(fleet, "pe1", pool=pool).driver()
    driver.open()
    driver.stage(oc_subif_payload(7))
    driver.close()  # still holding the candidate lock: closed, not kept
    assert pool.idle() == 0 and sessions(fleet, "pe1") == []
    assert fleet.call(lambda f: f.device("pe1").datastore.lock_owner("candidate")) is None
