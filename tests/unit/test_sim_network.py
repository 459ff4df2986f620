"""The network model: links, paths and L3VPN reachability from running configs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from lxml import etree

from sims.edit import EditApplier
from sims.models import get_model
from sims.network import Network, reachability

ROUTER = get_model("router")
REPO = Path(__file__).resolve().parents[2]
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"


def l3vpn(
    address: str,
    *,
    vrf: str = "CUST-A",
    rd: str = "65000:100",
    sub_enabled: bool = True,
    vrf_type: str = "L3VRF",
) -> str:
    return (
        f"<config xmlns='{NC}'><interfaces xmlns='http://openconfig.net/yang/interfaces'><interface>"
        "<name>Ethernet2</name><subinterfaces><subinterface><index>100</index><config><index>100</index>"
        f"<enabled>{'true' if sub_enabled else 'false'}</enabled></config>"
        "<ipv4 xmlns='http://openconfig.net/yang/interfaces/ip'><addresses><address>"
        f"<ip>{address}</ip><config><ip>{address}</ip><prefix-length>30</prefix-length></config>"
        "</address></addresses></ipv4></subinterface></subinterfaces></interface></interfaces>"
        "<network-instances xmlns='http://openconfig.net/yang/network-instance'><network-instance>"
        f"<name>{vrf}</name><config><name>{vrf}</name>"
        "<type xmlns:oc-ni-types='http://openconfig.net/yang/network-instance-types'>"
        f"oc-ni-types:{vrf_type}</type><route-distinguisher>{rd}</route-distinguisher></config>"
        "<interfaces><interface><id>Ethernet2.100</id><config><id>Ethernet2.100</id>"
        "<interface>Ethernet2</interface><subinterface>100</subinterface></config></interface></interfaces>"
        "</network-instance></network-instances></config>"
    )


def configured(name: str, *edits: str) -> etree._Element:
    tree = ROUTER.initial_config(name)
    for edit in edits:
        EditApplier(ROUTER.schema).apply(tree, etree.fromstring(edit), "merge")
    return tree


def disable(interface: str) -> str:
    return (
        f"<config xmlns='{NC}'><interfaces xmlns='http://openconfig.net/yang/interfaces'><interface>"
        f"<name>{interface}</name><config><enabled>false</enabled></config></interface></interfaces></config>"
    )


@pytest.fixture
def network() -> Network:
    topology = yaml.safe_load((REPO / "topologies" / "l3vpn.clab.yml").read_text())
    return Network.from_topology(topology)


def test_topology_links(network: Network) -> None:
    assert sorted(network.links) == ["p1:eth2--pe2:eth1", "pe1:eth1--p1:eth1"]
    assert network.find("pe1--p1").id == "pe1:eth1--p1:eth1"
    assert network.find("pe2:eth1").id == "p1:eth2--pe2:eth1"
    assert network.path("pe1", "pe2") == ["pe1", "p1", "pe2"]
    with pytest.raises(KeyError):
        network.find("pe1--pe2")


def test_consistent_ends_reach_each_other(network: Network) -> None:
    configs = {
        "pe1": configured("pe1", l3vpn("10.10.0.1")),
        "p1": configured("p1"),
        "pe2": configured("pe2", l3vpn("10.10.0.5")),
    }
    result = reachability(network, configs, "pe1", "CUST-A", "10.10.0.5")
    assert result.success, result.reason
    assert result.path == ("pe1", "p1", "pe2")
    back = reachability(network, configs, "pe2", "CUST-A", "10.10.0.2")  # the CE behind pe1
    assert back.success and back.path[-1] == "pe1"
    assert reachability(network, configs, "pe1", "CUST-A", "10.10.0.1").path == ("pe1",)


@pytest.mark.parametrize(
    ("pe2_edits", "reason"),
    [
        ((l3vpn("10.10.0.5", rd="65000:200"),), "route-distinguisher mismatch"),
        ((l3vpn("10.10.0.5", sub_enabled=False),), "disabled"),
        ((l3vpn("10.10.0.5", vrf="CUST-B"),), "no endpoint of CUST-A"),
        ((l3vpn("10.10.0.5", vrf_type="L2VSI"),), "not an L3VRF"),
        ((l3vpn("10.10.0.5"), disable("Ethernet2")), "interface Ethernet2 is disabled"),
        ((l3vpn("10.10.0.5"), disable("Ethernet1")), "no path"),
    ],
)
def test_inconsistent_ends_do_not_reach(network: Network, pe2_edits: tuple[str, ...], reason: str) -> None:
    configs = {
        "pe1": configured("pe1", l3vpn("10.10.0.1")),
        "p1": configured("p1"),
        "pe2": configured("pe2", *pe2_edits),
    }
    result = reachability(network, configs, "pe1", "CUST-A", "10.10.0.5")
    assert not result.success
    assert reason in result.reason


def test_link_down_breaks_the_path(network: Network) -> None:
    configs = {
        "pe1": configured("pe1", l3vpn("10.10.0.1")),
        "p1": configured("p1"),
        "pe2": configured("pe2", l3vpn("10.10.0.5")),
    }
    network.set_up("p1:eth2--pe2:eth1", False)
    result = reachability(network, configs, "pe1", "CUST-A", "10.10.0.5")
    assert not result.success and "p1:eth2--pe2:eth1" in result.reason
    network.add_link("pe1:eth3", "pe2:eth3")  # a backup path
    assert reachability(network, configs, "pe1", "CUST-A", "10.10.0.5").path == ("pe1", "pe2")
    network.set_up("p1:eth2--pe2:eth1", True)
    assert network.is_up("p1:eth2--pe2:eth1")


def test_source_problems(network: Network) -> None:
    configs = {"pe1": configured("pe1"), "pe2": configured("pe2", l3vpn("10.10.0.5"))}
    assert "not configured on pe1" in reachability(network, configs, "pe1", "CUST-A", "10.10.0.5").reason
    assert "not an IPv4 address" in reachability(network, configs, "pe2", "CUST-A", "nope").reason
    with pytest.raises(ValueError):
        network.add_link("pe1", "pe2:eth1")


def test_a_node_address_is_reached_in_the_default_instance_over_up_links() -> None:
    """The 5G lab: upf1 holds its N3 address (label rom.sim/addresses); pe1's default instance reaches
    it over pe1 > p1 > pe2 > upf1, and no longer once the pe2-upf1 link is down."""
    topology = yaml.safe_load((REPO / "topologies" / "5g-slice.clab.yml").read_text())
    network = Network.from_topology(topology)
    assert network.hosts == {"10.3.0.10": "upf1"}
    configs = {name: configured(name) for name in ("pe1", "p1", "pe2")}
    result = reachability(network, configs, "pe1", "default", "10.3.0.10")
    assert result.success, result.reason
    assert result.path == ("pe1", "p1", "pe2", "upf1")
    assert not reachability(network, configs, "pe1", "CUST-A", "10.3.0.10").success  # not in a VRF
    network.set_up(network.find("pe2--upf1").id, False)
    down = reachability(network, configs, "pe1", "default", "10.3.0.10")
    assert not down.success
    assert "no path of up links from pe1 to upf1 (down: pe2:eth2--upf1:eth1)" in down.reason
    network.set_up(network.find("pe2--upf1").id, True)
    configs["p1"] = configured("p1", disable("Ethernet2"))  # p1's port towards pe2
    assert not reachability(network, configs, "pe1", "default", "10.3.0.10").success
    with pytest.raises(ValueError, match="not an IPv4 address"):
        network.add_host("10.3.0", "upf1")
