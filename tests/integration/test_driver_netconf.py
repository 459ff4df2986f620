"""NetconfDriver and run_transaction against the NETCONF simulator on loopback.

Assertions read the simulator's datastore directly, not through the driver under test.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace

import pytest
from lxml import etree

from drivers.base import DeviceTarget
from drivers.errors import DeviceRejected, TransportError
from drivers.netconf import NetconfDriver
from drivers.nornir_plugins import make_nornir
from drivers.transaction import run_transaction
from lab.support import fleet_target
from sims.fleet import FleetThread, SimDeviceSpec

pytestmark = pytest.mark.integration

IF = "http://openconfig.net/yang/interfaces"
VLAN = "http://openconfig.net/yang/vlan"
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
INTERFACES_FILTER = f'<interfaces xmlns="{IF}"/>'


def subif_payload(index: int, vlan: int, interface: str = "Ethernet1") -> str:
    return (
        f'<config xmlns="{NC}"><interfaces xmlns="{IF}"><interface><name>{interface}</name>'
        f"<subinterfaces><subinterface><index>{index}</index><config><index>{index}</index></config>"
        f'<vlan xmlns="{VLAN}"><match><single-tagged><config><vlan-id>{vlan}</vlan-id></config>'
        "</single-tagged></match></vlan></subinterface></subinterfaces></interface></interfaces></config>"
    )


@pytest.fixture
def fleet() -> Iterator[FleetThread]:
    with FleetThread([SimDeviceSpec("pe1"), SimDeviceSpec("pe2")]) as f:
        yield f


def target(fleet: FleetThread, name: str) -> DeviceTarget:
    return fleet_target(fleet, name)


@pytest.fixture
def driver(fleet: FleetThread) -> Iterator[NetconfDriver]:
    d = NetconfDriver(target(fleet, "pe1"))
    d.open()
    yield d
    d.close()


def _vlans(tree: etree._Element) -> dict[str, str]:
    """{subinterface index: vlan-id} found in a config tree."""
    out = {}
    for sub in tree.iter(f"{{{IF}}}subinterface"):
        vlan = sub.find(f".//{{{VLAN}}}vlan-id")
        out[(sub.findtext(f"{{{IF}}}index") or "").strip()] = (
            "" if vlan is None else (vlan.text or "").strip()
        )
    return out


def device_state(fleet: FleetThread, name: str) -> dict[str, object]:
    def read(f: object) -> dict[str, object]:
        ds = fleet.fleet.device(name).datastore
        return {
            "running": _vlans(ds.running),
            "candidate": _vlans(ds.candidate),
            "pending": ds.confirmed_commit_pending,
            "lock": ds.lock_owner("candidate"),
        }

    return fleet.call(read)


CLEAN = {"running": {}, "candidate": {}, "pending": False, "lock": None}


def test_get_config_returns_the_filtered_data_document(driver: NetconfDriver) -> None:
    root = etree.fromstring(driver.get_config(INTERFACES_FILTER))
    assert root.tag == f"{{{NC}}}data"
    assert [etree.QName(child).localname for child in root] == ["interfaces"]
    assert root.find(f"{{{IF}}}interfaces/{{{IF}}}interface") is not None


def test_get_config_accepts_a_whole_filter_element_with_several_subtrees(driver: NetconfDriver) -> None:
    both = (
        f'<filter xmlns="{NC}" type="subtree"><interfaces xmlns="{IF}"/>'
        '<system xmlns="http://openconfig.net/yang/system"/></filter>'
    )
    root = etree.fromstring(driver.get_config(both))
    assert sorted(etree.QName(child).localname for child in root) == ["interfaces", "system"]


def test_session_socket_has_nagle_off(driver: NetconfDriver) -> None:
    # Nagle + delayed ACK cost ~40 ms on the first RPCs of every session (see _netconf_client).
    sock = driver._mgr().transport.sock
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_stage_then_commit_shows_in_running(fleet: FleetThread, driver: NetconfDriver) -> None:
    driver.stage(subif_payload(100, 100))
    staged = device_state(fleet, "pe1")
    assert staged["running"] == {} and staged["candidate"] == {"100": "100"} and staged["lock"] is not None
    driver.commit()
    assert device_state(fleet, "pe1") == {**CLEAN, "running": {"100": "100"}, "candidate": {"100": "100"}}


def test_confirmed_commit_then_confirm(fleet: FleetThread, driver: NetconfDriver) -> None:
    driver.stage(subif_payload(100, 100))
    driver.commit(confirm_timeout=120, persist_id="tx-1")
    pending = device_state(fleet, "pe1")
    assert pending["running"] == {"100": "100"} and pending["pending"] is True
    driver.confirm(persist_id="tx-1")
    driver.close()
    assert device_state(fleet, "pe1") == {**CLEAN, "running": {"100": "100"}, "candidate": {"100": "100"}}


def test_rollback_after_stage_keeps_running_and_releases_the_lock(
    fleet: FleetThread, driver: NetconfDriver
) -> None:
    driver.stage(subif_payload(100, 100))
    driver.rollback(persist_id="tx-2")
    assert device_state(fleet, "pe1") == CLEAN
    other = NetconfDriver(target(fleet, "pe1"))
    other.open()
    try:
        other.stage(subif_payload(200, 200))  # takes the lock: it was released
        other.commit()
    finally:
        other.close()
    assert device_state(fleet, "pe1")["running"] == {"200": "200"}


def test_rollback_after_confirmed_commit_cancels_it(fleet: FleetThread, driver: NetconfDriver) -> None:
    driver.stage(subif_payload(100, 100))
    driver.commit(confirm_timeout=120, persist_id="tx-3")
    driver.rollback(persist_id="tx-3")
    assert device_state(fleet, "pe1") == CLEAN


def test_rpc_error_surfaces_as_device_rejected(fleet: FleetThread, driver: NetconfDriver) -> None:
    with pytest.raises(DeviceRejected) as caught:
        driver.stage(subif_payload(100, 5000))
    err = caught.value.error
    assert caught.value.device == "pe1"
    assert (err.type, err.tag, err.severity) == ("application", "invalid-value", "error")
    assert err.path.endswith("oc-vlan:vlan-id") and "subinterface[oc-if:index='100']" in err.path
    assert "5000" in err.message
    driver.rollback()
    assert device_state(fleet, "pe1") == CLEAN


def test_unreachable_port_is_a_transport_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: connections are refused
        d = NetconfDriver(DeviceTarget("ghost", "127.0.0.1", port, "rom-router", "admin", "admin", timeout=5))
        with pytest.raises(TransportError, match="ghost"):
            d.open()


def test_wrong_password_is_a_transport_error(fleet: FleetThread) -> None:
    t = target(fleet, "pe1")
    d = NetconfDriver(replace(t, password="wrong", timeout=5))
    with pytest.raises(TransportError, match="pe1"):
        d.open()


def test_transaction_applies_to_all_devices(fleet: FleetThread) -> None:
    nr = make_nornir([target(fleet, "pe1"), target(fleet, "pe2")], workers=2)
    payloads = {"pe1": subif_payload(100, 100), "pe2": subif_payload(100, 101)}
    out = run_transaction(nr, payloads, confirm_timeout=120, persist_id="tx-ok", post_check=lambda: [])
    assert out.ok, out.errors
    assert all(h.changed and not h.failed for h in out.hosts.values())
    assert device_state(fleet, "pe1")["running"] == {"100": "100"}
    assert device_state(fleet, "pe2")["running"] == {"100": "101"}
    assert device_state(fleet, "pe2")["pending"] is False and device_state(fleet, "pe2")["lock"] is None


def test_transaction_second_device_rejects_so_both_stay_unchanged(fleet: FleetThread) -> None:
    nr = make_nornir([target(fleet, "pe1"), target(fleet, "pe2")], workers=2)
    payloads = {"pe1": subif_payload(100, 100), "pe2": subif_payload(100, 5000)}
    out = run_transaction(nr, payloads, confirm_timeout=120, persist_id="tx-bad", post_check=None)
    assert not out.ok and out.phase_failed == "stage"
    assert out.hosts["pe1"].rolled_back and not out.hosts["pe1"].failed and not out.hosts["pe1"].changed
    assert out.hosts["pe2"].failed and not out.hosts["pe2"].changed
    assert any("pe2" in e and "invalid-value" in e and "vlan-id" in e and "5000" in e for e in out.errors)
    assert device_state(fleet, "pe1") == CLEAN
    assert device_state(fleet, "pe2") == CLEAN


def test_transaction_failed_post_check_cancels_the_confirmed_commits(fleet: FleetThread) -> None:
    nr = make_nornir([target(fleet, "pe1"), target(fleet, "pe2")], workers=2)
    payloads = {"pe1": subif_payload(100, 100), "pe2": subif_payload(100, 101)}
    seen: list[dict[str, object]] = []

    def post_check() -> list[str]:
        seen.append(device_state(fleet, "pe2"))
        return ["pe2: no route to pe1"]

    out = run_transaction(nr, payloads, confirm_timeout=120, persist_id="tx-chk", post_check=post_check)
    assert seen and seen[0]["running"] == {"100": "101"} and seen[0]["pending"] is True
    assert not out.ok and out.phase_failed == "post_check"
    assert out.errors == ["post-check: pe2: no route to pe1"]
    assert all(h.rolled_back for h in out.hosts.values())
    assert device_state(fleet, "pe1") == CLEAN
    assert device_state(fleet, "pe2") == CLEAN
