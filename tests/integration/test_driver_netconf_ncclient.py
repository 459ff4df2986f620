"""The NETCONF driver on ncclient's Manager (`netconf_client="ncclient"`), against the simulator.

ROM's own client is the default (test_driver_netconf.py); these check that the ncclient choice
still stages, commits with confirm, rolls back, maps rpc-errors and runs a pooled transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from drivers.base import DeviceTarget
from drivers.errors import DeviceRejected
from drivers.netconf import NetconfDriver
from drivers.nornir_plugins import make_nornir
from drivers.pool import SessionPool
from drivers.transaction import run_transaction
from lab.support import fleet_target
from sims.fleet import FleetThread, SimDeviceSpec
from tests.integration.test_driver_netconf import CLEAN, device_state, subif_payload

pytestmark = pytest.mark.integration


@pytest.fixture
def fleet() -> Iterator[FleetThread]:
    with FleetThread([SimDeviceSpec("pe1"), SimDeviceSpec("pe2")]) as f:
        yield f


def target(fleet: FleetThread, name: str) -> DeviceTarget:
    return replace(fleet_target(fleet, name), netconf_client="ncclient")


@pytest.fixture
def driver(fleet: FleetThread) -> Iterator[NetconfDriver]:
    d = NetconfDriver(target(fleet, "pe1"))
    d.open()
    yield d
    d.close()


def test_the_session_is_ncclient_s_manager(driver: NetconfDriver) -> None:
    from ncclient.manager import Manager

    assert isinstance(driver._mgr(), Manager)


def test_confirmed_commit_then_confirm_and_rollback(fleet: FleetThread, driver: NetconfDriver) -> None:
    driver.stage(subif_payload(10, 110))
    driver.commit(confirm_timeout=60, persist_id="p1")
    assert device_state(fleet, "pe1")["pending"] is True
    driver.confirm(persist_id="p1")
    assert device_state(fleet, "pe1")["running"] == {"10": "110"}
    driver.stage(subif_payload(11, 111))
    driver.rollback()
    assert device_state(fleet, "pe1") == {**CLEAN, "running": {"10": "110"}, "candidate": {"10": "110"}}


def test_rpc_error_surfaces_as_device_rejected(fleet: FleetThread, driver: NetconfDriver) -> None:
    with pytest.raises(DeviceRejected):
        driver.stage(subif_payload(12, 5000))  # VLAN id out of range
    driver.rollback()
    assert device_state(fleet, "pe1") == CLEAN


def test_pooled_transaction_over_two_devices(fleet: FleetThread) -> None:
    pool = SessionPool()
    targets = [target(fleet, "pe1"), target(fleet, "pe2")]
    try:
        for n, vlan in enumerate((120, 121)):  # the second round takes the pooled sessions
            nr = make_nornir(targets, workers=2, pool=pool)
            payloads = {t.name: subif_payload(20, vlan) for t in targets}
            out = run_transaction(
                nr, payloads, confirm_timeout=120, persist_id=f"tx-{n}", post_check=lambda: []
            )
            assert out.ok, out.errors
        assert device_state(fleet, "pe2")["running"] == {"20": "121"}
    finally:
        pool.close_all()
