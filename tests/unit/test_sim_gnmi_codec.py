"""JSON_IETF / JSON conversion of datastore trees, and Set transactions built on a copy of running."""

from __future__ import annotations

import json
from typing import Any

import grpc
import pytest
from lxml import etree
from pygnmi.spec.v080 import gnmi_pb2

from sims.gnmi.codec import Codec, decode_value
from sims.gnmi.modules import GnmiError, table_for
from sims.gnmi.paths import parse_path
from sims.gnmi.setops import build_set
from sims.models.router import IF, ROUTER, VLAN

MODULES = table_for(ROUTER)
IETF = Codec(ROUTER.schema, MODULES, ietf=True)
PLAIN = Codec(ROUTER.schema, MODULES, ietf=False)


def _update(path: str, value: Any, ietf: bool = True) -> gnmi_pb2.Update:
    data = json.dumps(value).encode()
    val = gnmi_pb2.TypedValue(json_ietf_val=data) if ietf else gnmi_pb2.TypedValue(json_val=data)
    return gnmi_pb2.Update(path=parse_path(path), val=val)


def _interface(tree: etree._Element, name: str) -> etree._Element:
    (entry,) = tree.xpath(f"//i:interface[i:name='{name}']", namespaces={"i": IF})
    return entry  # type: ignore[no-any-return]


def test_root_is_rfc7951_with_module_qualified_top_level_and_identities() -> None:
    body = IETF.to_json(ROUTER.initial_config("r9"))
    assert set(body) == {
        "openconfig-system:system",
        "openconfig-interfaces:interfaces",
        "openconfig-network-instance:network-instances",
    }
    first = body["openconfig-interfaces:interfaces"]["interface"][0]
    assert first == {
        "name": "Ethernet1",
        "config": {"name": "Ethernet1", "type": "iana-if-type:ethernetCsmacd", "enabled": True},
    }
    instance = body["openconfig-network-instance:network-instances"]["network-instance"][0]
    assert instance["config"]["type"] == "openconfig-network-instance-types:DEFAULT_INSTANCE"


def test_plain_json_has_bare_names_and_values() -> None:
    body = PLAIN.to_json(ROUTER.initial_config("r9"))
    assert "interfaces" in body and body["interfaces"]["interface"][0]["config"]["type"] == "ethernetCsmacd"


def test_lists_are_arrays_even_with_one_entry_and_64_bit_counters_are_strings() -> None:
    tree = ROUTER.operational(ROUTER.initial_config("r1"), 2.0)
    entry = _interface(tree, "Ethernet1")
    ietf, plain = IETF.to_json(entry), PLAIN.to_json(entry)
    assert isinstance(ietf["state"]["counters"]["in-octets"], str)
    assert isinstance(plain["state"]["counters"]["in-octets"], int)
    instances = IETF.to_json(tree)["openconfig-network-instance:network-instances"]["network-instance"]
    assert isinstance(instances, list) and len(instances) == 1


def test_set_update_round_trips_foreign_namespace_members() -> None:
    value = {"config": {"mtu": 9000}, "openconfig-vlan:routed-vlan": {"config": {"vlan": 10}}}
    request = gnmi_pb2.SetRequest(update=[_update("/interfaces/interface[name=Ethernet1]", value)])
    tree, results = build_set(ROUTER.initial_config("r1"), request, IETF)
    entry = _interface(tree, "Ethernet1")
    assert entry.findtext(f"{{{IF}}}config/{{{IF}}}mtu") == "9000"
    assert entry.find(f"{{{VLAN}}}routed-vlan") is not None
    assert IETF.to_json(entry)["openconfig-vlan:routed-vlan"] == {"config": {"vlan": "10"}}
    assert [r.op for r in results] == [gnmi_pb2.UpdateResult.UPDATE]


def test_set_runs_delete_then_replace_then_update_on_a_copy() -> None:
    running = ROUTER.initial_config("r1")
    before = etree.tostring(running)
    request = gnmi_pb2.SetRequest(
        prefix=parse_path("/interfaces"),
        delete=[parse_path("/interface[name=Ethernet4]")],
        replace=[
            _update(
                "/interface[name=Ethernet3]/config",
                {"name": "Ethernet3", "type": "iana-if-type:l3ipvlan", "enabled": False},  # type: mandatory
            )
        ],
        update=[
            _update("/interface[name=Ethernet3]/config/description", "core", ietf=False),
            _update(
                "/interface[name=Ethernet4]/config",
                {"name": "Ethernet4", "type": "iana-if-type:ethernetCsmacd", "mtu": 1500},
            ),
        ],
    )
    tree, results = build_set(running, request, IETF)
    assert etree.tostring(running) == before
    third, fourth = _interface(tree, "Ethernet3"), _interface(tree, "Ethernet4")
    assert third.findtext(f"{{{IF}}}config/{{{IF}}}type", "").endswith(":l3ipvlan")  # replaced
    assert third.findtext(f"{{{IF}}}config/{{{IF}}}enabled") == "false"
    assert third.findtext(f"{{{IF}}}config/{{{IF}}}description") == "core"
    assert fourth.findtext(f"{{{IF}}}config/{{{IF}}}mtu") == "1500"  # recreated after its delete
    assert [r.op for r in results] == [
        gnmi_pb2.UpdateResult.DELETE,
        gnmi_pb2.UpdateResult.REPLACE,
        gnmi_pb2.UpdateResult.UPDATE,
        gnmi_pb2.UpdateResult.UPDATE,
    ]


def test_identity_values_are_stored_with_a_declared_prefix() -> None:
    update = _update(
        "/interfaces/interface[name=Lo0]/config", {"name": "Lo0", "type": "iana-if-type:softwareLoopback"}
    )
    tree, _ = build_set(ROUTER.initial_config("r1"), gnmi_pb2.SetRequest(update=[update]), IETF)
    leaf = _interface(tree, "Lo0").find(f"{{{IF}}}config/{{{IF}}}type")
    assert leaf is not None
    prefix, local = (leaf.text or "").split(":")
    assert leaf.nsmap[prefix] == "urn:ietf:params:xml:ns:yang:iana-if-type" and local == "softwareLoopback"
    assert IETF.leaf_json(leaf) == "iana-if-type:softwareLoopback"


@pytest.mark.parametrize(
    "path, value, fragment",
    [
        ("/interfaces/interface[name=Ethernet1]/config/mtu", 70000, "config/mtu"),
        ("/interfaces/interface[name=Ethernet1]/config", {"enabled": "maybe"}, "config/enabled"),
        ("/interfaces/interface[name=Ethernet1]/config", {"type": "no-such-type"}, "config/type"),
        ("/interfaces/interface[name=Ethernet1]", {"name": "Ethernet9"}, "does not match"),
        ("/interfaces", {"interface": [{"config": {"mtu": 1}}]}, "lacks key 'name'"),
        ("/", {"bogus:thing": {}}, "unknown module"),
        ("/", {"thing": {}}, "unknown top-level"),
    ],
)
def test_bad_values_are_invalid_argument_naming_the_path(path: str, value: Any, fragment: str) -> None:
    running = ROUTER.initial_config("r1")
    request = gnmi_pb2.SetRequest(
        update=[_update("/system/config/hostname", "changed"), _update(path, value)],
    )
    with pytest.raises(GnmiError) as caught:
        build_set(running, request, IETF)
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert fragment in caught.value.message


def test_decode_value_kinds() -> None:
    assert decode_value(gnmi_pb2.TypedValue(uint_val=5)) == 5
    assert decode_value(gnmi_pb2.TypedValue(json_val=b'{"a": 1}')) == {"a": 1}
    with pytest.raises(GnmiError) as bad_json:
        decode_value(gnmi_pb2.TypedValue(json_ietf_val=b"{nope"))
    assert bad_json.value.code == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(GnmiError) as binary:
        decode_value(gnmi_pb2.TypedValue(proto_bytes=b"\x00"))
    assert binary.value.code == grpc.StatusCode.UNIMPLEMENTED
