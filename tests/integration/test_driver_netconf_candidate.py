"""A pooled NETCONF session skips discard-changes only when it knows the candidate holds running.

Assertions read the simulator's datastore directly, not through the driver under test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from drivers._netconf_session import open_session
from drivers.errors import DeviceRejected
from drivers.netconf import NetconfDriver
from drivers.pool import SessionPool
from lab.support import fleet_target
from sims.fleet import FleetThread, SimDeviceSpec
from tests.integration.test_driver_netconf import device_state, subif_payload

pytestmark = pytest.mark.integration


@pytest.fixture
def fleet() -> Iterator[FleetThread]:
    with FleetThread([SimDeviceSpec("pe1")]) as f:
        yield f


def counting_discards(driver: NetconfDriver) -> list[int]:
    """Count the discard-changes the driver's session sends from now on."""
    client = driver._mgr()
    sent, real = [], client.discard_changes

    def discard() -> object:
        sent.append(1)
        return real()

    client.discard_changes = discard  # type: ignore[method-assign]
    return sent


def test_a_session_that_left_the_candidate_clean_stages_without_a_discard(fleet: FleetThread) -> None:
    pool = SessionPool()
    driver = NetconfDriver(fleet_target(fleet, "pe1"), pool)
    driver.open()
    sent = counting_discards(driver)
    for vlan in (100, 101):  # a fresh session, then the same session back from the pool
        driver.stage(subif_payload(100, vlan))
        driver.commit(confirm_timeout=60, persist_id=f"p{vlan}")
        driver.confirm(persist_id=f"p{vlan}")
        driver.close()
        driver.open()
    assert sent == [] and pool.stats.reused == 2
    assert device_state(fleet, "pe1")["running"] == {"100": "101"}
    driver.close()
    pool.close_all()


def test_a_session_whose_edit_may_have_landed_discards_before_the_next_stage(fleet: FleetThread) -> None:
    driver = NetconfDriver(fleet_target(fleet, "pe1"))
    driver.open()
    sent = counting_discards(driver)
    with pytest.raises(DeviceRejected):
        driver.stage(subif_payload(100, 5000))  # vlan-id out of range
    driver._unlock()  # leave the candidate as the failed edit left it, lock released
    driver.stage(subif_payload(100, 100))
    assert sent == [1] and device_state(fleet, "pe1")["candidate"] == {"100": "100"}
    driver.rollback()
    driver.close()


def test_another_sessions_uncommitted_change_makes_the_lock_fail_not_ride_along(fleet: FleetThread) -> None:
    target = fleet_target(fleet, "pe1")
    other = open_session(target)
    other.manager.edit_config(config=subif_payload(200, 200), target="candidate")  # no lock, no commit
    driver = NetconfDriver(target)
    driver.open()
    with pytest.raises(DeviceRejected, match="lock-denied"):
        driver.stage(subif_payload(100, 100))
    assert device_state(fleet, "pe1")["running"] == {}
    driver.rollback()
    driver.close()
    other.close()
