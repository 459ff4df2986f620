"""The NAPALM adapter for real: napalm's iosxr_netconf driver against the ROM simulator.

(The conformance suite runs the same adapter through every contract test; here: the native diff,
and a network-wide transaction mixing a NAPALM-driven device with a NETCONF-driven one.)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from drivers.base import DeviceTarget
from drivers.napalm import NapalmDriver
from drivers.nornir_plugins import make_nornir
from drivers.pool import SessionPool
from drivers.transaction import run_transaction
from lab.backends import oc_subif_payload, sim_backend
from sims.fleet import FleetThread, SimDeviceSpec

pytestmark = pytest.mark.integration


@pytest.fixture
def fleet() -> Iterator[FleetThread]:
    with FleetThread([SimDeviceSpec("pe1"), SimDeviceSpec("xr1")]) as f:
        yield f


def targets(fleet: FleetThread) -> list[DeviceTarget]:
    return [
        sim_backend(fleet, "pe1").target,
        sim_backend(fleet, "xr1", platform="napalm:iosxr_netconf").target,
    ]


def test_diff_is_napalms_compare_config_of_the_staged_change(fleet: FleetThread) -> None:
    driver = NapalmDriver(targets(fleet)[1])
    driver.open()
    try:
        assert driver.diff() == ""
        driver.stage(oc_subif_payload(42, vlan=420))
        diff = driver.diff()
        added = [line for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
        assert any("<index>42</index>" in line for line in added)
        assert any("<vlan-id>420</vlan-id>" in line for line in added)
        driver.rollback()
    finally:
        driver.close()
    assert sim_backend(fleet, "xr1").items() == set()


def test_transaction_across_a_napalm_and_a_netconf_device(fleet: FleetThread) -> None:
    pool = SessionPool()
    nr = make_nornir(targets(fleet), workers=2, pool=pool)
    payloads = {"pe1": oc_subif_payload(10), "xr1": oc_subif_payload(11)}
    out = run_transaction(nr, payloads, confirm_timeout=60, persist_id="mix-1", post_check=lambda: [])
    assert out.ok, out.errors
    assert sim_backend(fleet, "pe1").items() == {"10"} and sim_backend(fleet, "xr1").items() == {"11"}
    assert pool.idle() == 2  # both kinds of session went back to the pool
    pool.close_all()


def test_failed_post_check_rolls_back_the_napalm_device_too(fleet: FleetThread) -> None:
    nr = make_nornir(targets(fleet), workers=2, pool=None)
    payloads = {"pe1": oc_subif_payload(10), "xr1": oc_subif_payload(11)}
    seen: list[set[str]] = []

    def post_check() -> list[str]:
        seen.append(sim_backend(fleet, "xr1").items())
        return ["xr1: no route"]

    out = run_transaction(nr, payloads, confirm_timeout=60, persist_id="mix-2", post_check=post_check)
    assert seen == [{"11"}]  # it was committed before the check
    assert out.phase_failed == "post_check" and all(h.rolled_back for h in out.hosts.values())
    assert sim_backend(fleet, "pe1").items() == set() and sim_backend(fleet, "xr1").items() == set()
