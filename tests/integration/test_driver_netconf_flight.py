"""NETCONF flights (several RPCs back to back on one session) against the simulator over SSH.

An rpc-error in the middle of a flight is mapped as the single RPC's and leaves the session in
step; the staged diff and the read-back answered from a flight are what the separate reads give.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

import httpx
import pytest
from lxml import etree
from ncclient.operations.rpc import RPCError

from drivers._netconf_session import open_session
from drivers.config_reads import netconf_reads, read_back
from drivers.errors import DeviceRejected
from drivers.netconf import NetconfDriver
from drivers.nornir_plugins import driver_of, make_nornir
from drivers.transaction import run_transaction
from intent.planner import participant_payloads
from lab.support import fleet_target
from sims.fleet import FleetThread, SimDeviceSpec
from tests.integration.test_catalog_5g_slice import DEVICES, plan, slice_order, targets
from tests.integration.test_driver_netconf import (
    CLEAN,
    IF,
    INTERFACES_FILTER,
    NC,
    device_state,
    subif_payload,
)

pytestmark = pytest.mark.integration

KEYED = (  # names the key of an interface entry, as a resource's read-back filter does
    f'<filter xmlns="{NC}" type="subtree"><interfaces xmlns="{IF}"><interface><name>Ethernet1</name>'
    "</interface></interfaces></filter>"
)
READ_BACK = (
    f'<filter xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" type="subtree">{INTERFACES_FILTER}</filter>'
)


@pytest.fixture(scope="module")
def fleet() -> Iterator[FleetThread]:
    with FleetThread([SimDeviceSpec("pe1"), SimDeviceSpec("pe2")]) as f:
        yield f


@pytest.fixture(autouse=True)
def clean(fleet: FleetThread) -> Iterator[None]:
    yield
    assert device_state(fleet, "pe1") == CLEAN and device_state(fleet, "pe2") == CLEAN


def _sends(manager: Any) -> list[bytes]:
    """Record what the client writes on its channel."""
    sent: list[bytes] = []
    chan = manager._chan
    real = chan.sendall

    def sendall(data: bytes) -> None:
        sent.append(data)
        real(data)

    chan.sendall = sendall
    return sent


@pytest.mark.parametrize("client", ["rom", "ncclient"])
def test_an_rpc_error_mid_flight_is_returned_in_its_slot_and_the_session_stays_in_step(
    fleet: FleetThread, client: str
) -> None:
    t = fleet_target(fleet, "pe1")
    session = open_session(t if client == "rom" else replace(t, netconf_client="ncclient"))
    try:
        sent = _sends(session.manager) if client == "rom" else []
        filter_ = ("subtree", INTERFACES_FILTER)
        replies = session.flight(
            [
                ("lock", {"target": "candidate"}),
                ("edit_config", {"config": subif_payload(100, 5000), "target": "candidate"}),  # refused
                ("get_config", {"source": "candidate", "filter": filter_}),
                ("unlock", {"target": "candidate"}),
            ]
        )
        if client == "rom":
            assert len(sent) == 1 and sent[0].count(b"<rpc ") == 4  # one write: a real flight
        lock, edit, candidate, unlock = replies
        assert not isinstance(lock, RPCError) and not isinstance(unlock, RPCError)
        assert isinstance(edit, RPCError) and edit.tag == "invalid-value" and "5000" in edit.message
        assert candidate.data_ele is not None  # the device ran the RPCs after the refused one
        # In step: the next single RPC gets its own reply (a lock again, then the same read).
        session.manager.lock(target="candidate")
        session.manager.discard_changes()
        session.manager.unlock(target="candidate")
        assert device_state(fleet, "pe1") == CLEAN
    finally:
        session.close()


def test_a_flight_with_unknown_operations_sends_nothing(fleet: FleetThread) -> None:
    session = open_session(fleet_target(fleet, "pe1"))
    try:
        sent = _sends(session.manager)
        with pytest.raises(Exception, match="no such operation"):
            session.flight([("lock", {"target": "candidate"}), ("kill_session", {"session_id": "1"})])
        assert sent == []
        session.manager.get_config(source="running", filter=("subtree", INTERFACES_FILTER))
    finally:
        session.close()


def _diff(fleet: FleetThread, device: str, payload: str, read_diff: bool, keyed: Sequence[str] = ()) -> str:
    d = NetconfDriver(fleet_target(fleet, device))
    d.open()
    try:
        d.stage(payload, read_diff=read_diff, key_filters=keyed)
        return d.diff()
    finally:
        d.rollback()
        d.close()


def test_the_staged_diff_read_in_the_edit_flight_is_the_diff_read_alone(fleet: FleetThread) -> None:
    payload = subif_payload(100, 100)
    flown = _diff(fleet, "pe1", payload, read_diff=True)
    assert "vlan-id>100<" in flown
    assert flown == _diff(fleet, "pe1", payload, read_diff=False)
    # Read by the entry's key (the read-back filter names it): the same changes, less around them.
    keyed = _diff(fleet, "pe1", payload, read_diff=True, keyed=[KEYED])
    assert _changes(keyed) == _changes(flown) and len(keyed) < len(flown)
    removed = (  # a delete below the entry is inside it too
        f'<config xmlns="{NC}"><interfaces xmlns="{IF}"><interface><name>Ethernet2</name><config>'
        f'<enabled xmlns:nc="{NC}" nc:operation="remove"/></config></interface></interfaces></config>'
    )
    whole = _diff(fleet, "pe1", removed, read_diff=True)
    assert _changes(whole) == ["-        <enabled>true</enabled>"]
    assert _changes(_diff(fleet, "pe1", removed, read_diff=True, keyed=[KEYED])) == _changes(whole)


def _changes(diff: str) -> list[str]:
    return [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def test_a_refused_edit_in_the_flight_fails_the_stage_and_the_driver_goes_on(fleet: FleetThread) -> None:
    d = NetconfDriver(fleet_target(fleet, "pe1"))
    d.open()
    try:
        with pytest.raises(DeviceRejected) as caught:
            d.stage(subif_payload(100, 5000), read_diff=True)
        assert caught.value.error.tag == "invalid-value" and "5000" in caught.value.error.message
        d.rollback()  # discards our candidate and unlocks, as after a single edit-config
        assert device_state(fleet, "pe1") == CLEAN
        d.stage(subif_payload(100, 100), read_diff=True)  # same session, in step
        assert "vlan-id>100<" in d.diff()
        d.rollback()
    finally:
        d.close()


def test_the_read_back_is_answered_from_the_confirmed_commit_flight(fleet: FleetThread) -> None:
    d = NetconfDriver(fleet_target(fleet, "pe1"))
    d.open()
    try:
        d.stage(subif_payload(100, 100))
        d.commit(confirm_timeout=120, persist_id="fl-1", read_after=[READ_BACK])
        sent = _sends(d._s.manager if d._s else None)
        flown = d.get_config(READ_BACK)  # from the flight: nothing sent
        assert sent == []
        assert flown == d.get_config(READ_BACK)  # read alone: the same
        assert len(sent) == 1
        d.rollback(persist_id="fl-1")
    finally:
        d.close()


def test_a_refused_confirmed_commit_drops_its_reads_and_rolls_back(fleet: FleetThread) -> None:
    assert fleet.control_url is not None
    fault = {"kind": "fail-commit", "device": "pe1", "message": "injected"}
    assert httpx.post(f"{fleet.control_url}/faults", json=fault, timeout=10).status_code == 201
    d = NetconfDriver(fleet_target(fleet, "pe1"))
    d.open()
    try:
        d.stage(subif_payload(100, 100))
        with pytest.raises(DeviceRejected, match="injected"):
            d.commit(confirm_timeout=120, persist_id="fl-2", read_after=[READ_BACK])
        sent = _sends(d._s.manager if d._s else None)
        d.get_config(READ_BACK)  # read from the device, not the dropped flight
        assert len(sent) == 1
        d.rollback(persist_id="fl-2")
    finally:
        d.close()


def test_a_transaction_with_flights_audits_the_same_diffs(fleet: FleetThread) -> None:
    payloads = {"pe1": subif_payload(100, 100), "pe2": subif_payload(100, 101)}
    expected = {name: _diff(fleet, name, p, read_diff=False) for name, p in payloads.items()}
    targets = [fleet_target(fleet, "pe1"), fleet_target(fleet, "pe2")]
    nr = make_nornir(targets, workers=2)
    seen: list[Any] = []
    read: dict[str, str] = {}

    def post_check() -> list[str]:  # the read-back, as the executor's: one get-config per device
        for name in payloads:
            d = driver_of(nr.inventory.hosts[name], nr.config)
            read[name] = d.get_config(READ_BACK)
        return ["stop before confirm"]

    out = run_transaction(
        nr,
        payloads,
        confirm_timeout=120,
        persist_id="fl-tx",
        post_check=post_check,
        on_outcome=seen.append,
        read_after_commit={name: [READ_BACK] for name in payloads},
    )
    assert out.phase_failed == "post_check" and all(h.rolled_back for h in out.hosts.values())
    assert {name: h.diffs["netconf"] for name, h in out.hosts.items()} == expected
    vlans = {name: etree.fromstring(text.encode()).findtext(".//{*}vlan-id") for name, text in read.items()}
    assert vlans == {"pe1": "100", "pe2": "101"}  # what the commit put in running


def test_the_slice_read_back_is_answered_from_the_confirmed_commit_flights() -> None:
    with FleetThread([SimDeviceSpec(name, model) for name, model in DEVICES.items()]) as other:
        intended = plan(other, slice_order())
        reads = netconf_reads(intended)
        assert set(reads) == {"upf1", "smf1", "pe1"}  # gnb1 is gNMI only
        nr = make_nornir(targets(other), workers=4)
        sent: list[list[bytes]] = []
        flown: list[Any] = []
        written: list[int] = []

        def post_check() -> list[str]:
            for name in reads:
                manager = driver_of(nr.inventory.hosts[name], nr.config)._s.manager  # type: ignore[attr-defined]
                sent.append(_sends(manager))
            flown.extend(read_back(nr, intended))
            written.extend(len(s) for s in sent)
            return []

        out = run_transaction(
            nr,
            participant_payloads(intended),
            confirm_timeout=120,
            persist_id="fl-slice",
            post_check=post_check,
            read_after_commit=reads,
        )
        assert out.ok, out.errors
        assert written == [0, 0, 0]  # every NETCONF read-back came with its device's commit
        fresh = read_back(make_nornir(targets(other)), intended)  # after confirm, read alone
        assert [_canonical(a) for a in flown] == [_canonical(a) for a in fresh]


def _canonical(actual: Any) -> Any:
    return etree.tostring(actual, method="c14n") if isinstance(actual, etree._Element) else actual
