"""GnmiDriver specifics beyond the conformance suite: TLS, credentials, the emulated confirm timeout."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from lxml import etree

from drivers.base import DeviceTarget
from drivers.errors import CapabilityMissing, DeviceRejected, TransportError
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


def _nested_qos() -> str:
    """New entries on pe1, one under another (policy, scheduler, its input; a queue), in a tree pe1
    does not have yet."""
    policy = [
        "openconfig-qos:qos",
        "scheduler-policies",
        {"scheduler-policy": {"name": "ROM-EGRESS-Ethernet1"}},
    ]
    scheduler = [*policy, "schedulers", {"scheduler": {"sequence": 1}}]
    kind = "openconfig-qos-types:ONE_RATE_TWO_COLOR"
    replace = [  # valid data: each list's key is a leafref to its config/name (or sequence, id)
        {"path": [*policy, "config"], "value": {"name": "ROM-EGRESS-Ethernet1"}},
        {
            "path": ["openconfig-qos:qos", "queues", {"queue": {"name": "Q1"}}],
            "value": {"name": "Q1", "config": {"name": "Q1"}},
        },
        {"path": scheduler, "value": {"sequence": 1, "config": {"sequence": 1, "type": kind}}},
        {
            "path": [*scheduler, "inputs", {"input": {"id": "Q1"}}],
            "value": {"id": "Q1", "config": {"id": "Q1", "input-type": "QUEUE", "queue": "Q1"}},
        },
    ]
    return json.dumps({"replace": replace})


def test_pre_image_of_new_nested_entries_reads_each_level_once_and_restores(fleet: FleetThread) -> None:
    before = _running(fleet)
    driver = driver_for(_target(fleet), protocol="gnmi")
    driver.open()
    session = driver._s  # type: ignore[attr-defined]
    rounds: list[str] = []
    call, call_each = session.call, session.call_each
    session.call = lambda *a, **k: rounds.append("one") or call(*a, **k)
    session.call_each = lambda *a, **k: rounds.append("each") or call_each(*a, **k)
    driver.stage(_nested_qos())
    # each path at once, then the ancestors a level at a time; none under one found absent, none
    # above one found present (session 6: 28 Gets one after another; session 7: a Get of all the
    # paths first, which failed NOT_FOUND)
    assert rounds == ["each", "each", "each"]
    driver.commit(confirm_timeout=0)
    assert _running(fleet) != before
    with pytest.raises(DeviceRejected, match="confirm timeout expired"):
        driver.confirm()
    assert _running(fleet) == before  # the highest new node of each entry removed, nothing else
    driver.close()
