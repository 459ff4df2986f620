"""A gNMI Get or Subscribe sync that builds state only for the part of running its paths reach
answers exactly as one that builds the whole device's state tree."""

from __future__ import annotations

import copy
import dataclasses

import pytest
from lxml import etree
from pygnmi.spec.v080 import gnmi_pb2

from sims.device import SimDevice
from sims.gnmi.get import build_get
from sims.gnmi.modules import GnmiError
from sims.gnmi.paths import parse_path, steps_of
from sims.gnmi.scope import reached_config
from sims.gnmi.server import GnmiServicer
from sims.gnmi.subscribe import SubscribeSession
from sims.models import get_model
from sims.models.router import IF, NI

BGP = (
    f"<protocols xmlns='{NI}'><protocol><identifier xmlns:t='http://openconfig.net/yang/policy-types'>"
    "t:BGP</identifier><name>BGP</name><config><identifier xmlns:t='http://openconfig.net/yang/policy-types'>"
    "t:BGP</identifier><name>BGP</name></config><bgp><global><config><as>65000</as></config></global>"
    "<neighbors>"
    "<neighbor><neighbor-address>10.0.0.1</neighbor-address><config><neighbor-address>10.0.0.1"
    "</neighbor-address><peer-as>65001</peer-as></config></neighbor>"
    "<neighbor><neighbor-address>10.0.0.2</neighbor-address><config><neighbor-address>10.0.0.2"
    "</neighbor-address><peer-as>65002</peer-as><enabled>false</enabled></config></neighbor>"
    "</neighbors></bgp></protocol></protocols>"
)
PATHS = [
    "/",
    "interfaces",
    "interfaces/interface[name=Ethernet2]/state/oper-status",
    "interfaces/interface[name=Ethernet3]/state",
    "interfaces/interface[name=Ethernet3]/config/enabled",
    "interfaces/interface[name=*]/state/admin-status",
    "interfaces/interface/state/counters/in-octets",
    "interfaces/*/state/name",
    "openconfig-interfaces:interfaces/interface[name=Ethernet1]",
    "*/interface[name=Ethernet1]/state/enabled",
    "system",
    "system/state/hostname",
    "system/config/hostname",
    "system/*/hostname",
    "network-instances/network-instance[name=default]/protocols/protocol/bgp/neighbors/neighbor/state",
    "network-instances/network-instance/protocols/protocol/bgp/neighbors/neighbor[neighbor-address=10.0.0.2]"
    "/state/session-state",
    "interfaces/interface[name=Ethernet9]/state/oper-status",
    "interfaces/interface[name=Ethernet2]/state/no-such-leaf",
    "system/state/boot-time",
]


def _devices() -> tuple[SimDevice, SimDevice]:
    """The same router twice, on a frozen clock: with state built as far as paths reach, and whole."""
    model = get_model("router")
    scoped = SimDevice("r1", model, clock=lambda: 100.0)
    whole = SimDevice("r1", dataclasses.replace(model, local_state=False), clock=lambda: 100.0)
    for device in (scoped, whole):
        device.started = 0.0
        running = copy.deepcopy(device.datastore.running)
        instance = running.find(f"{{{NI}}}network-instances/{{{NI}}}network-instance")
        assert instance is not None
        instance.append(etree.fromstring(BGP))
        interface = running.find(f"{{{IF}}}interfaces/{{{IF}}}interface[{{{IF}}}name='Ethernet3']")
        assert interface is not None
        enabled = interface.find(f"{{{IF}}}config/{{{IF}}}enabled")
        assert enabled is not None
        enabled.text = "false"
        device.datastore.replace_running(running, 1)
    return scoped, whole


def _answer(device: SimDevice, paths: list[str], data_type: int) -> list[bytes] | tuple[int, str]:
    request = gnmi_pb2.GetRequest(
        path=[parse_path(p) for p in paths], type=data_type, encoding=gnmi_pb2.Encoding.JSON_IETF
    )
    try:
        notifications = build_get(device, request, GnmiServicer(device).codec(request.encoding))
    except GnmiError as error:
        return error.code.value[0], error.message
    answers = []
    for notification in notifications:
        notification.timestamp = 0
        answers.append(notification.SerializeToString(deterministic=True))
    return answers


@pytest.mark.parametrize("data_type", [0, 1, 2, 3])
@pytest.mark.parametrize("path", PATHS)
def test_get_answers_as_the_whole_tree_does(path: str, data_type: int) -> None:
    scoped, whole = _devices()
    answer = _answer(scoped, [path], data_type)
    assert answer == _answer(whole, [path], data_type)


def test_get_of_several_paths_answers_as_the_whole_tree_does() -> None:
    scoped, whole = _devices()
    paths = [PATHS[2], PATHS[11], PATHS[15], PATHS[5]]
    answer = _answer(scoped, paths, 0)
    assert isinstance(answer, list) and len(answer) == 4
    assert answer == _answer(whole, paths, 0)


def test_subscribe_sync_sees_what_the_whole_tree_shows() -> None:
    scoped, whole = _devices()
    request = gnmi_pb2.SubscriptionList(
        subscription=[gnmi_pb2.Subscription(path=parse_path(p)) for p in PATHS[1:8]],
        encoding=gnmi_pb2.Encoding.JSON_IETF,
    )
    snapshots = []
    for device in (scoped, whole):
        session = SubscribeSession(device, request, GnmiServicer(device).codec(request.encoding))
        snapshots.append([{k: v for k, (_p, v) in session.snapshot(plan).items()} for plan in session.plans])
    assert snapshots[0] == snapshots[1]
    assert any(snapshots[0])


def test_a_leaf_get_builds_state_for_its_interface_only() -> None:
    scoped, _whole = _devices()
    steps = steps_of(None, parse_path(PATHS[2]), GnmiServicer(scoped).modules)
    reached = reached_config(scoped.datastore.running, [steps], scoped.model.schema)
    assert [etree.QName(e).localname for e in reached.iter(f"{{{IF}}}interface")] == ["interface"]
    assert reached.findtext(f"{{{IF}}}interfaces/{{{IF}}}interface/{{{IF}}}name") == "Ethernet2"
    assert reached.find(f"{{{NI}}}network-instances") is None
