"""The gNMI simulator driven by pygnmi (and a raw grpc stub for malformed input) on loopback,
with ncclient on the same devices to check that both protocols share one datastore."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import grpc
import pytest
from lxml import etree
from ncclient import manager
from pygnmi.client import gNMIclient, gNMIException
from pygnmi.spec.v080 import gnmi_pb2, gnmi_pb2_grpc

from lab.support import netconf_connect
from sims.errors import RpcError
from sims.fleet import Fleet, FleetThread, SimDeviceSpec
from sims.gnmi.paths import parse_path

pytestmark = pytest.mark.integration
IF = "http://openconfig.net/yang/interfaces"
MTU_PATH = "/interfaces/interface[name=Ethernet1]/config/mtu"


@pytest.fixture
def fleet() -> Iterator[FleetThread]:
    with FleetThread([SimDeviceSpec("r1"), SimDeviceSpec("r2", password="secret")]) as running:
        yield running


def client(fleet: FleetThread, name: str = "r1", password: str = "admin") -> gNMIclient:
    return gNMIclient(
        target=("127.0.0.1", fleet.gnmi_port(name)), username="admin", password=password, insecure=True
    )


def netconf(fleet: FleetThread, name: str = "r1") -> manager.Manager:
    return netconf_connect("127.0.0.1", fleet.port(name))


def netconf_mtu(fleet: FleetThread) -> list[str]:
    with netconf(fleet) as m:
        data = m.get_config("running").data_ele
    return [
        str(v)
        for v in data.xpath("//i:interface[i:name='Ethernet1']/i:config/i:mtu/text()", namespaces={"i": IF})
    ]


def stub(fleet: FleetThread, name: str = "r1") -> tuple[grpc.Channel, gnmi_pb2_grpc.gNMIStub]:
    channel = grpc.insecure_channel(f"127.0.0.1:{fleet.gnmi_port(name)}")
    return channel, gnmi_pb2_grpc.gNMIStub(channel)


AUTH = [("username", "admin"), ("password", "admin")]


def _value(response: dict, index: int = 0) -> object:  # type: ignore[type-arg]
    return response["notification"][index]["update"][0]["val"]


def test_capabilities_announce_models_and_both_json_encodings(fleet: FleetThread) -> None:
    with client(fleet) as gc:
        caps = gc.capabilities()
    assert set(caps["supported_encodings"]) == {"json", "json_ietf"}
    assert caps["gnmi_version"] == "0.8.0"
    names = {model["name"] for model in caps["supported_models"]}
    assert {"openconfig-interfaces", "openconfig-network-instance"} <= names


def test_get_config_state_and_all_with_prefix_and_encodings(fleet: FleetThread) -> None:
    with client(fleet) as gc:
        config = gc.get(
            prefix="/interfaces", path=["interface[name=Ethernet2]"], datatype="config", encoding="json_ietf"
        )
        state = gc.get(path=["/interfaces/interface[name=Ethernet2]"], datatype="state", encoding="json")
        root = gc.get(path=["/"], datatype="all", encoding="json_ietf")
    assert _value(config) == {
        "name": "Ethernet2",
        "config": {"name": "Ethernet2", "type": "iana-if-type:ethernetCsmacd", "enabled": True},
    }
    assert set(_value(state)) == {"name", "state"}  # type: ignore[arg-type]
    assert _value(state)["state"]["oper-status"] == "UP"  # type: ignore[index]
    assert "openconfig-interfaces:interfaces" in _value(root)  # type: ignore[operator]


def test_get_missing_path_is_not_found(fleet: FleetThread) -> None:
    with client(fleet) as gc, pytest.raises(gNMIException) as caught:
        gc.get(path=["/interfaces/interface[name=Ethernet99]"], encoding="json_ietf")
    assert caught.value.orig_exc.code() == grpc.StatusCode.NOT_FOUND


def test_set_update_replace_delete_visible_over_netconf(fleet: FleetThread) -> None:
    with client(fleet) as gc:
        response = gc.set(
            delete=["/interfaces/interface[name=Ethernet4]"],
            replace=[
                (  # config/type is mandatory in OpenConfig: a replace must carry it
                    "/interfaces/interface[name=Ethernet3]/config",
                    {"name": "Ethernet3", "type": "iana-if-type:l3ipvlan", "enabled": False},
                )
            ],
            update=[(MTU_PATH, 9000)],
            encoding="json_ietf",
        )
        assert [r["op"] for r in response["response"]] == ["DELETE", "REPLACE", "UPDATE"]
        assert response["timestamp"] > 0
        third = gc.get(path=["/interfaces/interface[name=Ethernet3]/config"], datatype="config")
    assert _value(third) == {"name": "Ethernet3", "type": "l3ipvlan", "enabled": False}  # plain JSON
    assert netconf_mtu(fleet) == ["9000"]
    with netconf(fleet) as m:
        names = m.get_config("running").data_ele.xpath("//i:interface/i:name/text()", namespaces={"i": IF})
    assert [str(n) for n in names] == ["Ethernet1", "Ethernet2", "Ethernet3"]


def test_netconf_commit_is_visible_over_gnmi(fleet: FleetThread) -> None:
    config = (
        f'<config><interfaces xmlns="{IF}"><interface><name>Ethernet2</name>'
        "<config><description>from-netconf</description></config></interface></interfaces></config>"
    )
    with netconf(fleet) as m:
        m.edit_config(target="candidate", config=config)
        m.commit()
    with client(fleet) as gc:
        got = gc.get(path=["/interfaces/interface[name=Ethernet2]/config/description"], encoding="json_ietf")
    assert _value(got) == "from-netconf"


def test_failed_set_is_atomic_and_names_the_bad_leaf(fleet: FleetThread) -> None:
    with client(fleet) as gc:
        with pytest.raises(gNMIException) as caught:
            gc.set(
                update=[
                    (MTU_PATH, 1500),
                    ("/interfaces/interface[name=Ethernet2]/config/enabled", "perhaps"),
                ],
                encoding="json_ietf",
            )
        assert caught.value.orig_exc.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "interface[name=Ethernet2]/config/enabled" in caught.value.orig_exc.details()
    assert netconf_mtu(fleet) == []


def test_set_respects_netconf_lock_and_pending_confirmed_commit(fleet: FleetThread) -> None:
    with netconf(fleet) as m, client(fleet) as gc:
        m.lock("running")
        with pytest.raises(gNMIException) as locked:
            gc.set(update=[(MTU_PATH, 1600)])
        assert locked.value.orig_exc.code() == grpc.StatusCode.FAILED_PRECONDITION
        m.unlock("running")
        m.commit(confirmed=True, timeout="60")
        with pytest.raises(gNMIException) as pending:
            gc.set(update=[(MTU_PATH, 1700)])
        assert pending.value.orig_exc.code() == grpc.StatusCode.ABORTED
        m.commit()
        gc.set(update=[(MTU_PATH, 1800)])
    assert netconf_mtu(fleet) == ["1800"]


def test_wrong_or_missing_credentials_are_unauthenticated(fleet: FleetThread) -> None:
    with pytest.raises(gNMIException) as caught:
        client(fleet, "r2", password="admin").connect()
    assert caught.value.orig_exc.code() == grpc.StatusCode.UNAUTHENTICATED
    channel, gnmi = stub(fleet)
    with channel, pytest.raises(grpc.RpcError) as bare:
        gnmi.Capabilities(gnmi_pb2.CapabilityRequest(), timeout=10)
    assert bare.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with client(fleet, "r2", password="secret") as gc:
        assert gc.capabilities()["gnmi_version"] == "0.8.0"


def test_malformed_requests_get_a_status_and_the_fleet_keeps_serving(fleet: FleetThread) -> None:
    channel, gnmi = stub(fleet)
    bad_origin = gnmi_pb2.Path(origin="nope", elem=[gnmi_pb2.PathElem(name="interfaces")])
    cases = [
        (
            gnmi_pb2.GetRequest(path=[parse_path("/interfaces")], encoding=gnmi_pb2.PROTO),
            grpc.StatusCode.UNIMPLEMENTED,
        ),
        (gnmi_pb2.GetRequest(path=[bad_origin]), grpc.StatusCode.INVALID_ARGUMENT),
        (gnmi_pb2.GetRequest(path=[parse_path("/no-such-root")]), grpc.StatusCode.INVALID_ARGUMENT),
        (gnmi_pb2.GetRequest(path=[parse_path("/interfaces/.../name")]), grpc.StatusCode.UNIMPLEMENTED),
        (gnmi_pb2.GetRequest(type=42), grpc.StatusCode.INVALID_ARGUMENT),
    ]
    bad_json = gnmi_pb2.Update(path=parse_path(MTU_PATH), val=gnmi_pb2.TypedValue(json_ietf_val=b"{oops"))
    with channel:
        for request, code in cases:
            with pytest.raises(grpc.RpcError) as caught:
                gnmi.Get(request, metadata=AUTH, timeout=10)
            assert caught.value.code() == code, request
        with pytest.raises(grpc.RpcError) as set_error:
            gnmi.Set(gnmi_pb2.SetRequest(update=[bad_json]), metadata=AUTH, timeout=10)
        assert set_error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        huge = gnmi_pb2.Update(path=parse_path(MTU_PATH), val=gnmi_pb2.TypedValue(string_val="x" * 5_000_000))
        with pytest.raises(grpc.RpcError) as too_big:
            gnmi.Set(gnmi_pb2.SetRequest(update=[huge]), metadata=AUTH, timeout=10)
        assert too_big.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        empty = iter([gnmi_pb2.SubscribeRequest(subscribe=gnmi_pb2.SubscriptionList())])
        with pytest.raises(grpc.RpcError) as sub_error:
            list(gnmi.Subscribe(empty, metadata=AUTH, timeout=10))
        assert sub_error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert gnmi.Capabilities(gnmi_pb2.CapabilityRequest(), metadata=AUTH, timeout=10).gNMI_version
    with client(fleet, "r2", password="secret") as gc:
        assert (
            gc.get(path=["/system/config/hostname"], encoding="json_ietf")["notification"][0]["update"][0][
                "val"
            ]
            == "r2"
        )
    assert etree.QName(fleet.call(lambda f: f.device("r1").datastore.running).tag).localname == "data"


class _FailNextSet:
    """A model environment (the fault-injection hook) that fails the next gNMI Set once."""

    device = "r1"

    def __init__(self) -> None:
        self.armed = True

    def before_rpc(self, operation: str) -> float:
        if operation == "Set" and self.armed:
            self.armed = False
            raise RpcError(tag="operation-failed", message="injected: commit failed")
        return 0.0

    def accepts_connection(self) -> bool:
        return True


def test_injected_commit_failure_aborts_the_set_with_nothing_applied(fleet: FleetThread) -> None:
    def arm(f: Fleet) -> None:
        device = f.device("r1")
        device.model = replace(device.model, environment=_FailNextSet())  # type: ignore[arg-type]

    fleet.call(arm)
    with client(fleet) as gc:
        with pytest.raises(gNMIException) as caught:
            gc.set(update=[(MTU_PATH, 2000)], delete=["/interfaces/interface[name=Ethernet4]"])
        assert caught.value.orig_exc.code() == grpc.StatusCode.ABORTED
        assert "injected" in caught.value.orig_exc.details()
        assert netconf_mtu(fleet) == []
        gc.set(update=[(MTU_PATH, 2000)])
    assert netconf_mtu(fleet) == ["2000"]
