"""gNOI System.Ping/Traceroute: ROM's client (drivers.gnoi) against the simulators' server, which
answers from the fleet's network model and follows link faults set through the control API; and the
NETCONF fallback (the platform's <ping> RPC from the catalog) on the same model; and the 5G lab's
N3 probe, from the gNB-side PE to the address upf1 holds (its rom.sim/addresses label)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
import yaml

from drivers.errors import DeviceRejected
from drivers.gnoi import GnoiClient
from lab.support import REPO, fleet_target
from rom.reachability import Probe, load_platforms, ping, start_probes
from sims.fleet import FleetThread, SimDeviceSpec
from tests.integration.conftest import vpn_fleet

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def fleet() -> Iterator[FleetThread]:
    with vpn_fleet() as running:
        yield running


@pytest.fixture
def p1_down(fleet: FleetThread) -> Iterator[None]:
    assert fleet.control_url is not None
    with httpx.Client(base_url=fleet.control_url) as control:
        fault = control.post("/faults", json={"kind": "link-down", "link": "pe1--p1"})
        assert fault.status_code == 201, fault.text
        try:
            yield
        finally:
            control.delete(f"/faults/{fault.json()['id']}")


def test_ping_in_a_vrf_answers_every_probe(fleet: FleetThread) -> None:
    with GnoiClient(fleet_target(fleet, "pe1", gnmi=True)) as client:
        result = client.ping("10.10.0.5", "CUST-A", count=3)
    assert (result.sent, result.received, result.loss_percent) == (3, 3, 0.0)
    assert len(result.replies) == 3 and result.max_ms == pytest.approx(0.2)  # two links, 0.1 ms each
    assert "pe1 > p1 > pe2" in result.reason


def test_traceroute_names_the_hops(fleet: FleetThread) -> None:
    with GnoiClient(fleet_target(fleet, "pe1", gnmi=True)) as client:
        hops = client.traceroute("10.10.0.5", "CUST-A")
    assert [(h.hop, h.name, h.address) for h in hops] == [(1, "p1", "p1"), (2, "pe2", "10.10.0.5")]


def test_link_down_loses_every_probe(fleet: FleetThread, p1_down: None) -> None:
    with GnoiClient(fleet_target(fleet, "pe1", gnmi=True)) as client:
        result = client.ping("10.10.0.5", "CUST-A", count=3)
        hops = client.traceroute("10.10.0.5", "CUST-A")
    assert (result.sent, result.received, result.loss_percent) == (3, 0, 100.0)
    assert "no path of up links from pe1 to pe2" in result.reason
    assert [h.state for h in hops] == ["NETWORK_UNREACHABLE"]


def test_wrong_vrf_and_bad_destination(fleet: FleetThread) -> None:
    with GnoiClient(fleet_target(fleet, "pe1", gnmi=True)) as client:
        assert client.ping("10.10.0.5", "CUST-Z", count=2).received == 0
        with pytest.raises(DeviceRejected, match="not an IPv4 address"):
            client.ping("pe2.example", "CUST-A")


def test_post_check_probe_over_gnoi_and_over_the_netconf_fallback(fleet: FleetThread) -> None:
    probe = Probe("vrf-any-to-any", "pe1", "10.10.0.5", "CUST-A", count=3, max_rtt_ms=50, peer="pe2")
    platforms = load_platforms()
    over_gnoi = ping(fleet_target(fleet, "pe1", gnmi=True), probe, platforms["rom-router"])
    assert (over_gnoi.via, over_gnoi.received) == ("gnoi", 3)
    # no gNMI port in the inventory: the platform's NETCONF <ping> RPC
    over_netconf = ping(fleet_target(fleet, "pe1"), probe, platforms["rom-router"])
    assert (over_netconf.via, over_netconf.received) == ("netconf", 3)
    assert over_netconf.path == ("pe1", "p1", "pe2")
    netconf_only = replace(platforms["rom-router"], method="netconf")  # chosen by the platform
    assert ping(fleet_target(fleet, "pe1", gnmi=True), probe, netconf_only).via == "netconf"


def test_failing_probe_is_traced_and_reported(fleet: FleetThread, p1_down: None) -> None:
    probe = Probe("vrf-any-to-any", "pe1", "10.10.0.5", "CUST-A", count=3, peer="pe2")
    result = ping(fleet_target(fleet, "pe1", gnmi=True), probe, load_platforms()["rom-router"])
    assert result.loss_percent == 100.0 and result.path == ("pe1", "*")


def test_n3_probe_from_the_gnb_side_pe_over_gnoi_and_netconf() -> None:
    topology = yaml.safe_load((REPO / "topologies" / "5g-slice.clab.yml").read_text())
    specs = [SimDeviceSpec(n) for n in ("pe1", "p1", "pe2")] + [SimDeviceSpec("upf1", "upf")]
    probe = Probe("gnb-pe-to-upf-n3", "pe1", "10.3.0.10", "default", count=3, max_rtt_ms=50, peer="upf1")
    platform = load_platforms()["rom-router"]
    with FleetThread(specs, topology=topology) as fleet:
        over_gnoi = ping(fleet_target(fleet, "pe1", gnmi=True), probe, platform)
        over_netconf = ping(fleet_target(fleet, "pe1"), probe, platform)
        assert (over_gnoi.via, over_gnoi.received, over_gnoi.max_ms) == ("gnoi", 3, pytest.approx(0.3))
        assert (over_netconf.via, over_netconf.received) == ("netconf", 3)
        assert over_netconf.path == ("pe1", "p1", "pe2", "upf1")
        assert fleet.control_url is not None
        with httpx.Client(base_url=fleet.control_url) as control:
            fault = control.post("/faults", json={"kind": "link-down", "link": "pe2--upf1"})
            assert fault.status_code == 201, fault.text
        down = ping(fleet_target(fleet, "pe1", gnmi=True), probe, platform)
        assert (down.loss_percent, down.path) == (100.0, ("pe1", "*"))
        assert "no path of up links from pe1 to upf1" in down.reason
        assert ping(fleet_target(fleet, "pe1"), probe, platform).received == 0


def test_probes_started_together_keep_their_order_over_gnoi_and_netconf(
    fleet: FleetThread, p1_down: None
) -> None:
    """gNOI pings sent at once from one thread, a NETCONF ping RPC in a thread, an unknown device:
    each outcome in the probes' order; a failing gNOI pair comes back with its traceroute path."""
    probes = [
        Probe("mesh", "pe2", "10.10.0.5", "CUST-A", count=2),  # its own address: answered
        Probe("mesh", "pe1", "10.10.0.5", "CUST-A", count=2, peer="pe2"),  # pe1--p1 is down
        Probe("mesh", "pe3", "10.10.0.1", "CUST-A"),
        Probe("mesh", "pe2", "10.10.0.1", "CUST-A", count=2, peer="pe1"),
    ]
    targets = {"pe1": fleet_target(fleet, "pe1", gnmi=True), "pe2": fleet_target(fleet, "pe2")}
    waiting = start_probes(targets, probes, load_platforms())
    outcomes = waiting()
    assert [p for p, _, _ in outcomes] == probes
    found = [(r.via, r.received, r.path) if r else None for _, r, _ in outcomes]
    assert found == [("netconf", 2, ("pe2",)), ("gnoi", 0, ("pe1", "*")), None, ("netconf", 0, ())]
    problems = [problem or "" for _, _, problem in outcomes]
    assert problems[0] == "" and "100% loss" in problems[1] and "path pe1 > *" in problems[1]
    assert "pe3 is not in the inventory" in problems[2]
    assert "100% loss" in problems[3] and "no path of up links from pe2 to pe1" in problems[3]
