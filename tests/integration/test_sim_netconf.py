"""The NETCONF simulator driven by ncclient over real SSH on loopback, in both framings."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from lxml import etree
from ncclient import manager
from ncclient.devices.default import DefaultDeviceHandler
from ncclient.operations.rpc import RPCError
from ncclient.transport.errors import AuthenticationError
from ncclient.transport.session import NetconfBase

from lab.support import netconf_connect
from sims.fleet import FleetThread, SimDeviceSpec

pytestmark = pytest.mark.integration

IF = "http://openconfig.net/yang/interfaces"
VLAN = "http://openconfig.net/yang/vlan"
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"


class Base10Handler(DefaultDeviceHandler):
    """A client that only offers base:1.0, forcing end-of-message framing."""

    _BASE_CAPABILITIES = [c for c in DefaultDeviceHandler._BASE_CAPABILITIES if not c.endswith("base:1.1")]


Connect = Callable[..., manager.Manager]


@pytest.fixture
def fleet() -> Iterator[FleetThread]:
    with FleetThread([SimDeviceSpec("r1"), SimDeviceSpec("r2", password="secret")]) as running:
        yield running


@pytest.fixture(params=["1.1", "1.0"])
def connect(request: pytest.FixtureRequest, fleet: FleetThread) -> Iterator[Connect]:
    opened: list[manager.Manager] = []

    def _connect(name: str = "r1") -> manager.Manager:
        extra = {"device_params": {"handler": Base10Handler}} if request.param == "1.0" else {}
        m = manager.connect(
            host="127.0.0.1",
            port=fleet.port(name),
            username="admin",
            password="secret" if name == "r2" else "admin",
            hostkey_verify=False,
            allow_agent=False,
            look_for_keys=False,
            timeout=30,
            **extra,
        )
        expected = NetconfBase.BASE_11 if request.param == "1.1" else NetconfBase.BASE_10
        assert m._session._base == expected
        opened.append(m)
        return m

    yield _connect
    for m in opened:
        if m.connected:
            m.close_session()


def iface_filter(name: str, inner: str = "") -> tuple[str, str]:
    return (
        "subtree",
        f'<interfaces xmlns="{IF}"><interface><name>{name}</name>{inner}</interface></interfaces>',
    )


def edit(name: str, inner: str) -> str:
    interface = f"<interface><name>{name}</name>{inner}</interface>"
    return f'<config xmlns="{NC}"><interfaces xmlns="{IF}">{interface}</interfaces></config>'


def disable(name: str) -> str:
    return edit(name, "<config><enabled>false</enabled></config>")


def enabled(m: manager.Manager, name: str, source: str = "running") -> str | None:
    reply = m.get_config(source, filter=iface_filter(name, "<config><enabled/></config>"))
    values = reply.data_ele.xpath("//oc:enabled/text()", namespaces={"oc": IF})
    return values[0] if values else None


def wait_for(predicate: Callable[[], bool], deadline_s: float = 15.0) -> bool:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_hello_capabilities_and_filtered_get_config(connect: Connect) -> None:
    m = connect()
    caps = list(m.server_capabilities)
    for cap in (
        "urn:ietf:params:netconf:base:1.1",
        "urn:ietf:params:netconf:capability:candidate:1.0",
        "urn:ietf:params:netconf:capability:confirmed-commit:1.1",
        "urn:ietf:params:netconf:capability:rollback-on-error:1.0",
        "urn:ietf:params:netconf:capability:validate:1.1",
        "http://openconfig.net/yang/interfaces?module=openconfig-interfaces"
        "&deviations=rom-sim-router-deviations&revision=2026-01-06",
    ):
        assert cap in caps
    assert not any("writable-running" in cap for cap in caps)
    reply = m.get_config("running", filter=iface_filter("Ethernet2"))
    names = reply.data_ele.xpath("//oc:interface/oc:name/text()", namespaces={"oc": IF})
    assert names == ["Ethernet2"]
    type_node = reply.data_ele.xpath("//oc:interface/oc:config/oc:type", namespaces={"oc": IF})[0]
    prefix, _, local = type_node.text.partition(":")
    assert (type_node.nsmap[prefix], local) == ("urn:ietf:params:xml:ns:yang:iana-if-type", "ethernetCsmacd")


def test_edit_candidate_commit_visible_in_running_and_get_state(connect: Connect) -> None:
    m = connect()
    m.edit_config(target="candidate", config=disable("Ethernet3"))
    assert enabled(m, "Ethernet3", "candidate") == "false"
    assert enabled(m, "Ethernet3") == "true"
    m.validate(source="candidate")
    m.commit()
    assert enabled(m, "Ethernet3") == "false"
    state = m.get(filter=iface_filter("Ethernet3", "<state><oper-status/></state>")).data_ele
    assert state.xpath("//oc:oper-status/text()", namespaces={"oc": IF}) == ["DOWN"]
    up = m.get(filter=iface_filter("Ethernet1", "<state/>")).data_ele
    assert up.xpath("//oc:oper-status/text()", namespaces={"oc": IF}) == ["UP"]
    assert int(up.xpath("//oc:counters/oc:in-octets/text()", namespaces={"oc": IF})[0]) >= 0
    # the other device is independent
    other = connect("r2")
    assert enabled(other, "Ethernet3") == "true"


def test_edit_running_is_refused(connect: Connect) -> None:
    m = connect()
    with pytest.raises(RPCError) as info:
        m.edit_config(target="running", config=disable("Ethernet1"))
    assert info.value.tag == "operation-not-supported"


def test_lock_denied_on_second_session(connect: Connect) -> None:
    first, second = connect(), connect()
    first.lock("candidate")
    with pytest.raises(RPCError) as info:
        second.lock("candidate")
    assert info.value.tag == "lock-denied"
    assert info.value.type == "protocol"
    assert f"<session-id>{first.session_id}</session-id>" in info.value.info
    with pytest.raises(RPCError) as info:
        second.edit_config(target="candidate", config=disable("Ethernet1"))
    assert info.value.tag == "in-use"
    first.unlock("candidate")
    second.lock("candidate")
    second.unlock("candidate")


def test_invalid_vlan_id_reports_path(connect: Connect) -> None:
    m = connect()
    bad = edit(
        "Ethernet1",
        f'<subinterfaces><subinterface><index>10</index><vlan xmlns="{VLAN}"><config><vlan-id>5000</vlan-id>'
        "</config></vlan></subinterface></subinterfaces>",
    )
    with pytest.raises(RPCError) as info:
        m.edit_config(target="candidate", config=bad, error_option="rollback-on-error")
    assert info.value.tag == "invalid-value"
    assert info.value.path == (
        "/oc-if:interfaces/oc-if:interface[oc-if:name='Ethernet1']/oc-if:subinterfaces"
        "/oc-if:subinterface[oc-if:index='10']/oc-vlan:vlan/oc-vlan:config/oc-vlan:vlan-id"
    )
    assert "5000" in info.value.message
    reply = m.get_config("candidate", filter=iface_filter("Ethernet1", "<subinterfaces/>"))
    assert not reply.data_ele.xpath("//oc:subinterface", namespaces={"oc": IF})


def test_confirmed_commit_reverts_after_timeout(connect: Connect) -> None:
    m = connect()
    m.edit_config(target="candidate", config=disable("Ethernet4"))
    m.commit(confirmed=True, timeout="1")
    assert enabled(m, "Ethernet4") == "false"
    assert wait_for(lambda: enabled(m, "Ethernet4") == "true")
    assert enabled(m, "Ethernet4", "candidate") == "true"


def test_confirmed_commit_confirmed_by_persist_id_from_another_session(connect: Connect) -> None:
    first, second = connect(), connect()
    first.edit_config(target="candidate", config=disable("Ethernet4"))
    first.commit(confirmed=True, timeout="300", persist="job-1")
    first.close_session()
    assert enabled(second, "Ethernet4") == "false"
    with pytest.raises(RPCError):
        second.commit(persist_id="wrong")
    second.commit(persist_id="job-1")
    with pytest.raises(RPCError) as info:
        second.cancel_commit()
    assert info.value.tag == "operation-failed"
    assert enabled(second, "Ethernet4") == "false"


def test_cancel_commit_and_discard_changes(connect: Connect) -> None:
    m = connect()
    m.edit_config(target="candidate", config=disable("Ethernet2"))
    m.commit(confirmed=True, timeout="300")
    assert enabled(m, "Ethernet2") == "false"
    m.cancel_commit()
    assert enabled(m, "Ethernet2") == "true"
    m.edit_config(target="candidate", config=disable("Ethernet1"))
    assert enabled(m, "Ethernet1", "candidate") == "false"
    m.discard_changes()
    assert enabled(m, "Ethernet1", "candidate") == "true"


def test_closing_session_reverts_its_confirmed_commit(connect: Connect) -> None:
    first, second = connect(), connect()
    first.edit_config(target="candidate", config=disable("Ethernet2"))
    first.commit(confirmed=True, timeout="300")
    assert enabled(second, "Ethernet2") == "false"
    first.close_session()
    assert wait_for(lambda: enabled(second, "Ethernet2") == "true")


def test_kill_session_releases_lock(connect: Connect) -> None:
    victim, killer = connect(), connect()
    victim.lock("running")
    with pytest.raises(RPCError):
        killer.lock("running")
    killer.kill_session(victim.session_id)
    killer.lock("running")
    assert wait_for(lambda: not victim.connected)
    with pytest.raises(RPCError) as info:
        killer.kill_session("9999")
    assert info.value.tag == "invalid-value"


def test_unknown_operation(connect: Connect) -> None:
    m = connect()
    with pytest.raises(RPCError) as info:
        m.dispatch(etree.fromstring('<reboot-everything xmlns="urn:example:ops"/>'))
    assert info.value.tag == "operation-not-supported"


def test_wrong_password_is_refused(fleet: FleetThread) -> None:
    with pytest.raises(AuthenticationError):
        netconf_connect("127.0.0.1", fleet.port("r2"))
