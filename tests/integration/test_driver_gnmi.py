"""GnmiDriver specifics beyond the conformance suite: TLS, credentials, the emulated confirm timeout."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from drivers.base import DeviceTarget
from drivers.errors import CapabilityMissing, DeviceRejected, TransportError
from drivers.gnmi_payload import format_path
from drivers.registry import driver_for
from lab.backends import gnmi_subif_payload
from sims.fleet import FleetThread, SimDeviceSpec
from sims.gnmi.tls import generate_certificate

pytestmark = pytest.mark.integration


def _target(fleet: FleetThread, **kw: object) -> DeviceTarget:
    ep = fleet.endpoint("pe1")
    base = DeviceTarget(
        "pe1", ep.host, ep.netconf_port, ep.platform, "admin", "admin", 5, gnmi_port=ep.gnmi_port
    )
    return replace(base, **kw)  # type: ignore[arg-type]


@pytest.fixture
def tls_fleet(tmp_path: Path) -> Iterator[tuple[FleetThread, str]]:
    material = generate_certificate()
    ca = tmp_path / "ca.pem"
    ca.write_bytes(material.cert_pem)
    with FleetThread([SimDeviceSpec("pe1")], gnmi_tls=material) as fleet:
        yield fleet, str(ca)


def test_tls_with_a_ca_file(tls_fleet: tuple[FleetThread, str]) -> None:
    fleet, ca = tls_fleet
    driver = driver_for(_target(fleet, gnmi_tls_ca=ca), protocol="gnmi")
    driver.open()
    try:
        assert driver.capabilities()[1] == "encoding:json_ietf"
        assert "/openconfig-system:system" in json.loads(driver.get_config("/openconfig-system:system"))
    finally:
        driver.close()


def test_plaintext_client_against_tls_is_a_transport_error(tls_fleet: tuple[FleetThread, str]) -> None:
    fleet, _ = tls_fleet
    with pytest.raises(TransportError, match="pe1"):
        driver_for(_target(fleet, timeout=1), protocol="gnmi").open()


@pytest.fixture
def fleet() -> Iterator[FleetThread]:
    with FleetThread([SimDeviceSpec("pe1")]) as running:
        yield running


def test_wrong_password_is_device_rejected_access_denied(fleet: FleetThread) -> None:
    with pytest.raises(DeviceRejected) as caught:
        driver_for(_target(fleet, password="nope"), protocol="gnmi").open()
    assert (
        caught.value.error.tag == "access-denied"
        and caught.value.error.info["grpc-status"] == "UNAUTHENTICATED"
    )


def test_no_gnmi_port_is_capability_missing(fleet: FleetThread) -> None:
    with pytest.raises(CapabilityMissing, match="gNMI port"):
        driver_for(_target(fleet, gnmi_port=None), protocol="gnmi").open()


def _running(fleet: FleetThread) -> str:
    return fleet.call(lambda f: etree.tostring(f.device("pe1").datastore.running, encoding="unicode"))


def test_confirm_after_the_timeout_restores_and_fails(fleet: FleetThread) -> None:
    before = _running(fleet)
    driver = driver_for(_target(fleet), protocol="gnmi")
    driver.open()
    driver.stage(gnmi_subif_payload(9))
    driver.commit(confirm_timeout=0)  # already expired when confirm comes
    assert _running(fleet) != before
    with pytest.raises(DeviceRejected, match="confirm timeout expired"):
        driver.confirm()
    assert _running(fleet) == before
    driver.close()


def test_cancel_commit_from_another_driver_is_impossible_on_gnmi(fleet: FleetThread) -> None:
    driver = driver_for(_target(fleet), protocol="gnmi")
    driver.open()
    with pytest.raises(CapabilityMissing, match="only the committing driver"):
        driver.cancel_commit("rom-order-1")
    driver.close()


def _nested_qos(queue: str = "Q1", sequence: int = 1) -> str:
    """New entries on pe1, one under another (policy, scheduler, its input; a queue), in a tree pe1
    does not have yet (the first call): a queue and a scheduler of its own per (queue, sequence)."""
    policy = [
        "openconfig-qos:qos",
        "scheduler-policies",
        {"scheduler-policy": {"name": "ROM-EGRESS-Ethernet1"}},
    ]
    scheduler = [*policy, "schedulers", {"scheduler": {"sequence": sequence}}]
    kind = "openconfig-qos-types:ONE_RATE_TWO_COLOR"
    replace = [  # valid data: each list's key is a leafref to its config/name (or sequence, id)
        {"path": [*policy, "config"], "value": {"name": "ROM-EGRESS-Ethernet1"}},
        {
            "path": ["openconfig-qos:qos", "queues", {"queue": {"name": queue}}],
            "value": {"name": queue, "config": {"name": queue}},
        },
        {"path": scheduler, "value": {"sequence": sequence, "config": {"sequence": sequence, "type": kind}}},
        {
            "path": [*scheduler, "inputs", {"input": {"id": queue}}],
            "value": {"id": queue, "config": {"id": queue, "input-type": "QUEUE", "queue": queue}},
        },
    ]
    return json.dumps({"replace": replace})


def _count_rounds(driver: object) -> list[list[str]]:
    """The paths each round trip of the driver's session reads (one list per round)."""
    session = driver._s  # type: ignore[attr-defined]
    rounds: list[list[str]] = []
    call, call_each = session.call, session.call_each

    def each(rpc: str, requests: list[Any]) -> list[Any]:
        rounds.append([format_path(p) for r in requests for p in r.path])
        return call_each(rpc, requests)

    session.call = lambda *a, **k: rounds.append(["one"]) or call(*a, **k)
    session.call_each = each
    return rounds


def test_pre_image_of_new_nested_entries_reads_each_level_once_and_restores(fleet: FleetThread) -> None:
    before = _running(fleet)
    driver = driver_for(_target(fleet), protocol="gnmi")
    driver.open()
    rounds = _count_rounds(driver)
    driver.stage(_nested_qos())
    # each path with the parents of the replaced entries at once (list entries by a key leaf),
    # then the ancestors still unknown (the tree is new: /qos is absent) in one more round;
    # none under one found absent, none above one found present (session 6: 28 Gets one after
    # another; session 9: one round per level, three)
    assert len(rounds) == 2, rounds
    policy = "/openconfig-qos:qos/scheduler-policies/scheduler-policy[name=ROM-EGRESS-Ethernet1]"
    assert f"{policy}/name" in rounds[0] and policy not in rounds[0]
    assert sorted(rounds[1]) == ["/openconfig-qos:qos", "/openconfig-qos:qos/scheduler-policies"]
    driver.commit(confirm_timeout=0)
    assert _running(fleet) != before
    with pytest.raises(DeviceRejected, match="confirm timeout expired"):
        driver.confirm()
    assert _running(fleet) == before  # the highest new node of each entry removed, nothing else
    driver.close()


def test_pre_image_of_new_entries_in_an_existing_tree_is_one_round_trip(fleet: FleetThread) -> None:
    driver = driver_for(_target(fleet), protocol="gnmi")
    driver.open()
    driver.stage(_nested_qos("Q1", 1))
    driver.commit()
    before = _running(fleet)
    rounds = _count_rounds(driver)
    payload = _nested_qos("Q2", 2)
    driver.stage(payload)
    assert len(rounds) == 1, rounds  # the parents of the new entries were read with them
    staged_diff = driver.diff()
    other = driver_for(_target(fleet), protocol="gnmi")
    other.open()
    assert staged_diff == other.diff(payload)  # the audit diff as a fresh read gives it
    assert '+  "sequence": 2' in staged_diff
    other.close()
    driver.commit(confirm_timeout=0)
    assert _running(fleet) != before
    with pytest.raises(DeviceRejected, match="confirm timeout expired"):
        driver.confirm()
    assert _running(fleet) == before  # Q2, scheduler 2 and its input gone; Q1's entries kept
    driver.close()
