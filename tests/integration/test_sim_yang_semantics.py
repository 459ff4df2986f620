"""The simulators enforce their YANG's semantic constraints (leafref require-instance, when,
max-elements) at commit, validate and gNMI Set, with RFC 7950 §15 errors, over NETCONF (ncclient,
SSH) and gNMI (pygnmi) on loopback; a refused change leaves running as it was."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from lxml import etree
from ncclient import manager
from ncclient.operations.rpc import RPCError
from pygnmi.client import gNMIclient, gNMIException

from lab.support import netconf_connect
from sims.constraints import Checker, compile_expression, xpath_text
from sims.datastore import Datastore
from sims.errors import RpcError
from sims.fleet import FleetThread, SimDeviceSpec
from sims.models import get_model
from sims.models.router import IF, NI, QOS, ROUTER, initial_config
from sims.schema import Constraints

pytestmark = pytest.mark.integration
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
NI_TYPES = "http://openconfig.net/yang/network-instance-types"
UPF_NS = "urn:3gpp:sa5:_3gpp-5gc-nrm-upffunction"
ME_NS = "urn:3gpp:sa5:_3gpp-common-managed-element"


@pytest.fixture(scope="module")
def fleet() -> Iterator[FleetThread]:
    with FleetThread([SimDeviceSpec("r1"), SimDeviceSpec("u1", model="upf")]) as running:
        yield running


@pytest.fixture
def nc(fleet: FleetThread) -> Iterator[manager.Manager]:
    with netconf_connect("127.0.0.1", fleet.port("r1")) as m:
        yield m
        m.discard_changes()


def vrf(name: str, interface: str) -> str:
    return (
        f'<config xmlns="{NC}"><network-instances xmlns="{NI}"><network-instance><name>{name}</name>'
        f'<config><name>{name}</name><type xmlns:oc-ni-types="{NI_TYPES}">oc-ni-types:L3VRF</type></config>'
        f"<interfaces><interface><id>{interface}.10</id><config><id>{interface}.10</id>"
        f"<interface>{interface}</interface></config></interface></interfaces>"
        "</network-instance></network-instances></config>"
    )


def instances(m: manager.Manager) -> list[str]:
    data = m.get_config("running").data_ele
    return [str(n) for n in data.xpath("//ni:network-instance/ni:name/text()", namespaces={"ni": NI})]


def test_leafref_to_a_missing_interface_is_refused_at_commit_and_validate(nc: manager.Manager) -> None:
    before = instances(nc)
    nc.edit_config(target="candidate", config=vrf("VRF-A", "Ethernet9"))
    for refuse in (nc.commit, lambda: nc.validate(source="candidate")):
        with pytest.raises(RPCError) as caught:
            refuse()
        assert caught.value.tag == "data-missing"
        assert caught.value.to_dict()["app_tag"] == "instance-required"
        assert caught.value.path == (
            "/oc-netinst:network-instances/oc-netinst:network-instance[oc-netinst:name='VRF-A']"
            "/oc-netinst:interfaces/oc-netinst:interface[oc-netinst:id='Ethernet9.10']"
            "/oc-netinst:config/oc-netinst:interface"
        )
        assert "Ethernet9" in caught.value.message
    assert instances(nc) == before


def test_when_false_node_is_refused(nc: manager.Manager) -> None:
    fallback = (  # fallback-network-instance: "when ../type = 'oc-ni-types:L3VRF'"; default is not
        f'<config xmlns="{NC}"><network-instances xmlns="{NI}"><network-instance><name>default</name>'
        "<config><fallback-network-instance>default</fallback-network-instance></config>"
        "</network-instance></network-instances></config>"
    )
    nc.edit_config(target="candidate", config=fallback)
    with pytest.raises(RPCError) as caught:
        nc.commit()
    assert caught.value.tag == "operation-failed"
    assert "when condition is false" in caught.value.message
    assert caught.value.path.endswith("/oc-netinst:config/oc-netinst:fallback-network-instance")


def test_gnmi_set_with_a_dangling_leafref_is_refused_and_changes_nothing(fleet: FleetThread) -> None:
    update = {
        "config": {"name": "VRF-B", "type": "openconfig-network-instance-types:L3VRF"},
        "interfaces": {
            "interface": [{"id": "Ethernet9.10", "config": {"id": "Ethernet9.10", "interface": "Ethernet9"}}]
        },
    }
    target = ("127.0.0.1", fleet.gnmi_port("r1"))
    with gNMIclient(target=target, username="admin", password="admin", insecure=True) as gc:
        with pytest.raises(gNMIException) as caught:
            gc.set(update=[("/network-instances/network-instance[name=VRF-B]", update)], encoding="json_ietf")
        after = gc.get(path=["/network-instances"], datatype="config", encoding="json_ietf")
    error = caught.value.orig_exc
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "network-instance[oc-netinst:name='VRF-B']" in error.details()
    assert "instance-required" in error.details() and "Ethernet9" in error.details()
    assert "VRF-B" not in str(after)


def test_max_elements_breach_is_refused(fleet: FleetThread) -> None:
    second = (  # managedNFProfile: min-elements 1, max-elements 1 in _3gpp-common-managed-function
        f'<config xmlns="{NC}"><ManagedElement xmlns="{ME_NS}"><id>u1</id><UPFFunction xmlns="{UPF_NS}">'
        "<id>u1</id><attributes><managedNFProfile><idx>2</idx><hostAddr>u1-b</hostAddr>"
        "<capacity>10</capacity></managedNFProfile></attributes></UPFFunction></ManagedElement></config>"
    )
    with netconf_connect("127.0.0.1", fleet.port("u1")) as m:
        m.edit_config(target="candidate", config=second)
        with pytest.raises(RPCError) as caught:
            m.commit()
        m.discard_changes()
        running = m.get_config("running").data_ele
    assert caught.value.tag == "operation-failed"
    assert caught.value.to_dict()["app_tag"] == "too-many-elements"
    assert caught.value.path.endswith("/upf3gpp:attributes/upf3gpp:managedNFProfile[upf3gpp:idx='2']")
    assert len(running.xpath("//u:managedNFProfile", namespaces={"u": UPF_NS})) == 1


def test_qos_scheduler_policy_name_must_name_a_policy() -> None:
    store = Datastore(ROUTER.schema, initial_config("pe1"))
    bound = etree.fromstring(
        f'<config xmlns="{NC}"><qos xmlns="{QOS}"><interfaces><interface>'
        "<interface-id>Ethernet1</interface-id><config><interface-id>Ethernet1</interface-id></config><output><scheduler-policy><config>"
        "<name>NO-SUCH-POLICY</name></config></scheduler-policy></output></interface></interfaces></qos></config>"
    )
    store.edit("candidate", bound, 1)
    with pytest.raises(RpcError) as caught:
        store.commit(1)
    assert (caught.value.tag, caught.value.app_tag) == ("data-missing", "instance-required")
    assert caught.value.path is not None and caught.value.path.endswith(
        "oc-qos:scheduler-policy/oc-qos:config/oc-qos:name"
    )
    assert store.running.find(f"{{{QOS}}}qos") is None


def test_min_elements_breach_is_refused() -> None:
    upf = get_model("upf")  # pLMNIdList: min-elements 1 in _3gpp-5gc-nrm-upffunction
    store = Datastore(upf.schema, upf.initial_config("u1"))
    gone = etree.fromstring(
        f'<config xmlns="{NC}"><ManagedElement xmlns="{ME_NS}"><id>u1</id><UPFFunction xmlns="{UPF_NS}">'
        f'<id>u1</id><attributes><pLMNIdList xmlns:nc="{NC}" nc:operation="delete"><mcc>001</mcc>'
        "<mnc>01</mnc></pLMNIdList></attributes></UPFFunction></ManagedElement></config>"
    )
    store.edit("candidate", gone, 1)
    with pytest.raises(RpcError) as caught:
        store.commit(1)
    assert (caught.value.tag, caught.value.app_tag) == ("operation-failed", "too-few-elements")
    assert caught.value.path == (
        "/me3gpp:ManagedElement[me3gpp:id='u1']/upf3gpp:UPFFunction[upf3gpp:id='u1']/upf3gpp:attributes"
    )
    assert len(store.running.findall(f".//{{{UPF_NS}}}pLMNIdList")) == 1


def test_when_on_an_identity_holds_whatever_prefix_the_value_uses() -> None:
    store = Datastore(ROUTER.schema, initial_config("pe1"))
    vrf_with_fallback = etree.fromstring(  # "when ../type = 'oc-ni-types:L3VRF'", written as t:L3VRF
        f'<config xmlns="{NC}"><network-instances xmlns="{NI}"><network-instance><name>V</name><config>'
        f'<name>V</name><type xmlns:t="{NI_TYPES}">t:L3VRF</type>'
        "<fallback-network-instance>default</fallback-network-instance></config>"
        "</network-instance></network-instances></config>"
    )
    store.edit("candidate", vrf_with_fallback, 1)
    store.commit(1)
    assert store.running.find(f".//{{{NI}}}fallback-network-instance") is not None


def test_unique_is_checked_between_list_entries() -> None:
    # no `unique` is in the implemented subsets: a made-up one on the interfaces' MTU
    rules = Constraints(unique=(("openconfig-interfaces:config/openconfig-interfaces:mtu",),))
    root = initial_config("pe1")
    interfaces = root.find(f"{{{IF}}}interfaces")
    assert interfaces is not None
    for name, mtu in (("Ethernet1", "9000"), ("Ethernet2", "1500"), ("Ethernet3", "9000")):
        config = interfaces.find(f"{{{IF}}}interface[{{{IF}}}name='{name}']/{{{IF}}}config")
        assert config is not None
        etree.SubElement(config, f"{{{IF}}}mtu").text = mtu
    errors = Checker(ROUTER.schema, root).entries(interfaces, f"{{{IF}}}interface", rules)
    assert [(e.tag, e.app_tag, e.path) for e in errors] == [
        ("operation-failed", "data-not-unique", "/oc-if:interfaces/oc-if:interface[oc-if:name='Ethernet3']")
    ]


def test_absolute_plain_path_is_walked_to_what_xpath_selects() -> None:
    namespaces = ROUTER.schema.xpath_namespaces
    root = initial_config("pe1")
    for path in (
        "/openconfig-interfaces:interfaces/openconfig-interfaces:interface/openconfig-interfaces:name",
        "/openconfig-interfaces:interfaces/openconfig-interfaces:nothing",
    ):
        xpath = etree.XPath(xpath_text(path), namespaces=namespaces)
        context = root[0]
        walk = compile_expression(path, namespaces)
        assert walk.__name__ == "walk"  # not libxml2's XPath
        walked = walk(context, root)
        assert walked == xpath(context, root=root, current=context)
    names = compile_expression(
        "/openconfig-interfaces:interfaces/openconfig-interfaces:interface/openconfig-interfaces:name",
        namespaces,
    )(root[0], root)
    assert isinstance(names, list) and [n.text for n in names][:2] == ["Ethernet1", "Ethernet2"]
