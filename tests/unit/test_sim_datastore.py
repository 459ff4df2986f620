"""The simulator's datastore engine: edit-config semantics, locks, validate and (confirmed) commits."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lxml import etree

from sims.datastore import Datastore
from sims.errors import RpcError
from sims.models.router import IF, IP, NI, ROUTER, SYS, VLAN, initial_config

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
ETH = f"{{{IF}}}interfaces/{{{IF}}}interface"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeTimer:
    def __init__(self, delay: float, callback: Callable[[], object]) -> None:
        self.delay, self.callback, self.cancelled = delay, callback, False

    def cancel(self) -> None:
        self.cancelled = True


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def timers() -> list[FakeTimer]:
    return []


@pytest.fixture
def ds(clock: FakeClock, timers: list[FakeTimer]) -> Datastore:
    def schedule(delay: float, callback: Callable[[], object]) -> FakeTimer:
        timers.append(FakeTimer(delay, callback))
        return timers[-1]

    return Datastore(ROUTER.schema, initial_config("pe1"), clock=clock, wall_clock=clock, scheduler=schedule)


def config(body: str) -> etree._Element:
    return etree.fromstring(f'<config xmlns="{NC}" xmlns:nc="{NC}">{body}</config>')


def iface(name: str, inner: str = "", attrs: str = "") -> str:
    return f'<interfaces xmlns="{IF}"><interface{attrs}><name>{name}</name>{inner}</interface></interfaces>'


def leaf(tree: etree._Element, path: str) -> str | None:
    return tree.findtext(path)


def interface(tree: etree._Element, name: str) -> etree._Element | None:
    for node in tree.iterfind(ETH):
        if node.findtext(f"{{{IF}}}name") == name:
            return node
    return None


def enabled(tree: etree._Element, name: str) -> str | None:
    node = interface(tree, name)
    return None if node is None else node.findtext(f"{{{IF}}}config/{{{IF}}}enabled")


def test_merge_changes_leaf_in_candidate_only(ds: Datastore) -> None:
    ds.edit("candidate", config(iface("Ethernet1", "<config><enabled>false</enabled></config>")), 1)
    assert enabled(ds.candidate, "Ethernet1") == "false"
    assert enabled(ds.running, "Ethernet1") == "true"


def test_merge_creates_new_list_entry_and_keeps_others(ds: Datastore) -> None:
    ds.edit(
        "candidate", config(iface("Loopback0", "<config><name>Loopback0</name><mtu>1500</mtu></config>")), 1
    )
    names = [node.findtext(f"{{{IF}}}name") for node in ds.candidate.iterfind(ETH)]
    assert names == ["Ethernet1", "Ethernet2", "Ethernet3", "Ethernet4", "Loopback0"]


def test_replace_swaps_whole_subtree(ds: Datastore) -> None:
    body = iface("Ethernet2", '<config nc:operation="replace"><name>Ethernet2</name><mtu>9000</mtu></config>')
    ds.edit("candidate", config(body), 1)
    node = interface(ds.candidate, "Ethernet2")
    assert node is not None
    assert node.findtext(f"{{{IF}}}config/{{{IF}}}mtu") == "9000"
    assert node.find(f"{{{IF}}}config/{{{IF}}}enabled") is None


def test_create_existing_is_data_exists(ds: Datastore) -> None:
    with pytest.raises(RpcError) as info:
        ds.edit("candidate", config(iface("Ethernet1", attrs=' nc:operation="create"')), 1)
    assert info.value.tag == "data-exists"
    assert info.value.path == "/oc-if:interfaces/oc-if:interface[oc-if:name='Ethernet1']"


def test_delete_and_remove(ds: Datastore) -> None:
    ds.edit("candidate", config(iface("Ethernet3", attrs=' nc:operation="delete"')), 1)
    assert interface(ds.candidate, "Ethernet3") is None
    with pytest.raises(RpcError) as info:
        ds.edit("candidate", config(iface("Ethernet3", attrs=' nc:operation="delete"')), 1)
    assert info.value.tag == "data-missing"
    ds.edit("candidate", config(iface("Ethernet3", attrs=' nc:operation="remove"')), 1)  # no error
    assert interface(ds.candidate, "Ethernet4") is not None


def test_default_operation_none_only_applies_explicit_operations(ds: Datastore) -> None:
    body = iface(
        "Ethernet1", '<config><enabled>false</enabled><mtu nc:operation="create">1400</mtu></config>'
    )
    ds.edit("candidate", config(body), 1, default_operation="none")
    assert enabled(ds.candidate, "Ethernet1") == "true"
    assert ds.candidate.findtext(f"{ETH}/{{{IF}}}config/{{{IF}}}mtu") == "1400"


def test_default_operation_none_missing_parent_is_data_missing(ds: Datastore) -> None:
    body = iface("Ethernet9", '<config><mtu nc:operation="create">1400</mtu></config>')
    with pytest.raises(RpcError) as info:
        ds.edit("candidate", config(body), 1, default_operation="none")
    assert info.value.tag == "data-missing"


def test_default_operation_replace_replaces_datastore(ds: Datastore) -> None:
    ds.edit(
        "candidate",
        config(f'<system xmlns="{SYS}"><config><hostname>x</hostname></config></system>'),
        1,
        default_operation="replace",
    )
    assert [etree.QName(child).localname for child in ds.candidate] == ["system"]


def test_rollback_on_error_leaves_candidate_unchanged(ds: Datastore) -> None:
    before = etree.tostring(ds.candidate)
    body = iface("Ethernet1", "<config><enabled>false</enabled></config>") + iface(
        "Ethernet2",
        "<config><mtu>1500</mtu></config><subinterfaces><subinterface><index>1</index>"
        f'<vlan xmlns="{VLAN}"><config><vlan-id>5000</vlan-id></config></vlan>'
        "</subinterface></subinterfaces>",
    )
    with pytest.raises(RpcError) as info:
        ds.edit("candidate", config(body), 1, error_option="rollback-on-error")
    assert info.value.tag == "invalid-value"
    assert info.value.path is not None and info.value.path.endswith("oc-vlan:config/oc-vlan:vlan-id")
    assert "subinterface[oc-if:index='1']" in info.value.path
    assert info.value.path_ns["oc-vlan"] == VLAN
    assert etree.tostring(ds.candidate) == before


def test_continue_on_error_applies_the_rest(ds: Datastore) -> None:
    body = iface("Ethernet1", "<config><mtu>99999</mtu><enabled>false</enabled></config>")
    with pytest.raises(RpcError) as info:
        ds.edit("candidate", config(body), 1, error_option="continue-on-error")
    assert info.value.tag == "invalid-value"
    assert enabled(ds.candidate, "Ethernet1") == "false"


def test_test_only_changes_nothing(ds: Datastore) -> None:
    ds.edit(
        "candidate",
        config(iface("Ethernet1", "<config><enabled>false</enabled></config>")),
        1,
        test_option="test-only",
    )
    assert enabled(ds.candidate, "Ethernet1") == "true"


def test_list_entry_without_key_is_missing_element(ds: Datastore) -> None:
    body = f'<interfaces xmlns="{IF}"><interface><config><mtu>1500</mtu></config></interface></interfaces>'
    with pytest.raises(RpcError) as info:
        ds.edit("candidate", config(body), 1)
    assert info.value.tag == "missing-element"
    assert info.value.info["bad-element"] == "name"


def test_bad_values_and_unknown_root(ds: Datastore) -> None:
    addr = (
        f'<subinterfaces><subinterface><index>0</index><ipv4 xmlns="{IP}"><addresses><address>'
        "<ip>10.0.0.1</ip><config><ip>10.0.0.1</ip><prefix-length>33</prefix-length></config>"
        "</address></addresses></ipv4></subinterface></subinterfaces>"
    )
    with pytest.raises(RpcError) as info:
        ds.edit("candidate", config(iface("Ethernet1", addr)), 1)
    assert (info.value.tag, info.value.info["bad-element"]) == ("invalid-value", "prefix-length")
    with pytest.raises(RpcError) as info:
        ds.edit("candidate", config(iface("Ethernet1", "<config><enabled>yes</enabled></config>")), 1)
    assert info.value.tag == "invalid-value"
    with pytest.raises(RpcError) as info:
        ds.edit("candidate", config('<widgets xmlns="urn:nope"/>'), 1)
    assert info.value.tag == "unknown-element"
    with pytest.raises(RpcError) as info:
        ds.edit("candidate", config(iface("Ethernet1", attrs=' nc:operation="frobnicate"')), 1)
    assert info.value.tag == "bad-attribute"


def test_ni_interface_leaf_named_like_a_list_is_a_leaf(ds: Datastore) -> None:
    body = (
        f'<network-instances xmlns="{NI}"><network-instance><name>CUST</name><config><name>CUST</name>'
        '<type xmlns:t="http://openconfig.net/yang/network-instance-types">t:L3VRF</type></config>'
        "<interfaces><interface><id>Ethernet1.10</id><config><id>Ethernet1.10</id>"
        "<interface>Ethernet1</interface></config></interface></interfaces></network-instance>"
        "</network-instances>"
    )
    ds.edit("candidate", config(body), 1)
    ds.commit(1)
    assert "t:L3VRF" in etree.tostring(ds.running).decode()
    ds.validate("running")


def test_running_not_writable(ds: Datastore) -> None:
    with pytest.raises(RpcError) as info:
        ds.edit("running", config(iface("Ethernet1")), 1)
    assert info.value.tag == "operation-not-supported"


def test_commit_and_change_counter(ds: Datastore, clock: FakeClock) -> None:
    clock.now = 2000.0
    ds.edit("candidate", config(iface("Ethernet1", "<config><enabled>false</enabled></config>")), 1)
    assert ds.change_count == 0
    ds.commit(1)
    assert enabled(ds.running, "Ethernet1") == "false"
    assert (ds.change_count, ds.last_change) == (1, 2000.0)
    ds.commit(1)  # nothing changed
    assert ds.change_count == 1


def test_discard_changes(ds: Datastore) -> None:
    ds.edit("candidate", config(iface("Ethernet1", "<config><enabled>false</enabled></config>")), 1)
    ds.discard_changes(1)
    assert enabled(ds.candidate, "Ethernet1") == "true"


def test_lock_denied_carries_session_id(ds: Datastore) -> None:
    ds.lock("candidate", 7)
    with pytest.raises(RpcError) as info:
        ds.lock("candidate", 8)
    assert (info.value.tag, info.value.error_type, info.value.info) == (
        "lock-denied",
        "protocol",
        {"session-id": "7"},
    )
    with pytest.raises(RpcError) as info:
        ds.edit("candidate", config(iface("Ethernet1")), 8)
    assert info.value.tag == "in-use"
    with pytest.raises(RpcError):
        ds.unlock("candidate", 8)
    ds.unlock("candidate", 7)
    ds.lock("candidate", 8)


def test_lock_denied_when_candidate_dirty_from_other_session(ds: Datastore) -> None:
    ds.edit("candidate", config(iface("Ethernet1", "<config><enabled>false</enabled></config>")), 1)
    with pytest.raises(RpcError) as info:
        ds.lock("candidate", 2)
    assert info.value.tag == "lock-denied"


def test_session_close_releases_lock_and_discards_candidate(ds: Datastore) -> None:
    ds.lock("candidate", 3)
    ds.edit("candidate", config(iface("Ethernet1", "<config><enabled>false</enabled></config>")), 3)
    ds.close_session(3)
    assert ds.lock_owner("candidate") is None
    assert enabled(ds.candidate, "Ethernet1") == "true"


def _confirmed_change(ds: Datastore, session: int = 1, **kwargs: object) -> None:
    ds.edit("candidate", config(iface("Ethernet4", "<config><enabled>false</enabled></config>")), session)
    ds.commit(session, confirmed=True, **kwargs)  # type: ignore[arg-type]


def test_confirmed_commit_reverts_on_timeout(
    ds: Datastore, clock: FakeClock, timers: list[FakeTimer]
) -> None:
    _confirmed_change(ds, timeout=30)
    assert enabled(ds.running, "Ethernet4") == "false"
    assert timers[-1].delay == 30
    clock.now += 29
    assert ds.expire() is False
    clock.now += 1
    timers[-1].callback()
    assert enabled(ds.running, "Ethernet4") == "true"
    assert enabled(ds.candidate, "Ethernet4") == "true"
    assert not ds.confirmed_commit_pending
    assert ds.change_count == 2


def test_confirmed_commit_default_timeout_and_lazy_expiry(ds: Datastore, clock: FakeClock) -> None:
    _confirmed_change(ds)
    clock.now += 600
    assert enabled(ds.running, "Ethernet4") == "true"  # reading expires it even without a timer firing


def test_confirming_commit_keeps_change(ds: Datastore, clock: FakeClock, timers: list[FakeTimer]) -> None:
    _confirmed_change(ds, timeout=30)
    ds.commit(1)
    assert timers[-1].cancelled
    clock.now += 100
    assert enabled(ds.running, "Ethernet4") == "false"


def test_cancel_commit(ds: Datastore) -> None:
    _confirmed_change(ds)
    ds.cancel_commit(1)
    assert enabled(ds.running, "Ethernet4") == "true"
    with pytest.raises(RpcError) as info:
        ds.cancel_commit(1)
    assert info.value.tag == "operation-failed"


def test_persist_survives_session_and_needs_persist_id(ds: Datastore) -> None:
    _confirmed_change(ds, persist="tok")
    ds.close_session(1)
    assert enabled(ds.running, "Ethernet4") == "false"
    with pytest.raises(RpcError) as info:
        ds.commit(2)
    assert info.value.tag == "invalid-value"
    ds.commit(2, persist_id="tok")
    assert not ds.confirmed_commit_pending


def test_non_persist_confirmed_commit_reverts_when_session_closes(ds: Datastore) -> None:
    _confirmed_change(ds, session=5)
    with pytest.raises(RpcError) as info:
        ds.commit(6)
    assert info.value.tag == "in-use"
    ds.close_session(5)
    assert enabled(ds.running, "Ethernet4") == "true"


def test_extending_confirmed_commit_reverts_to_original(ds: Datastore, clock: FakeClock) -> None:
    _confirmed_change(ds, timeout=10)
    ds.edit("candidate", config(iface("Ethernet3", "<config><enabled>false</enabled></config>")), 1)
    ds.commit(1, confirmed=True, timeout=20)
    clock.now += 15
    assert enabled(ds.running, "Ethernet3") == "false"
    clock.now += 5
    assert (enabled(ds.running, "Ethernet3"), enabled(ds.running, "Ethernet4")) == ("true", "true")


def test_commit_validates_candidate(ds: Datastore) -> None:
    body = iface(
        "Ethernet1",
        f'<subinterfaces><subinterface><index>1</index><vlan xmlns="{VLAN}">'
        "<config><vlan-id>0</vlan-id></config></vlan></subinterface></subinterfaces>",
    )
    ds.edit("candidate", config(body), 1, test_option="set")
    with pytest.raises(RpcError) as info:
        ds.commit(1)
    assert info.value.tag == "invalid-value"
    assert enabled(ds.running, "Ethernet1") == "true"


def test_confirming_commit_validates_a_candidate_changed_since(ds: Datastore) -> None:
    """Running passed validation at the confirmed commit; a later edit of the candidate is
    validated again at the confirming commit, and a refused tree is refused every time."""
    _confirmed_change(ds, persist="tok")
    body = iface(
        "Ethernet1",
        f'<subinterfaces><subinterface><index>1</index><vlan xmlns="{VLAN}">'
        "<config><vlan-id>0</vlan-id></config></vlan></subinterface></subinterfaces>",
    )
    ds.edit("candidate", config(body), 1, test_option="set")
    for _ in range(2):
        with pytest.raises(RpcError) as info:
            ds.commit(1, persist_id="tok")
        assert info.value.tag == "invalid-value"
    assert ds.confirmed_commit_pending
    ds.discard_changes(1)
    ds.commit(1, persist_id="tok")  # candidate is running again: valid
    assert not ds.confirmed_commit_pending
    assert enabled(ds.running, "Ethernet4") == "false"


def test_copy_config_running_to_candidate(ds: Datastore) -> None:
    ds.edit("candidate", config(iface("Ethernet1", "<config><enabled>false</enabled></config>")), 1)
    ds.copy_config("running", "candidate", 1)
    assert enabled(ds.candidate, "Ethernet1") == "true"


def test_shared_initial_tree_is_never_mutated() -> None:
    initial = initial_config("shared")
    before = etree.tostring(initial)
    one, two = Datastore(ROUTER.schema, initial), Datastore(ROUTER.schema, initial)
    one.edit("candidate", config(iface("Ethernet1", "<config><enabled>false</enabled></config>")), 1)
    one.commit(1)
    assert etree.tostring(initial) == before
    assert enabled(two.running, "Ethernet1") == "true"


def test_restart_reverts_a_persisted_confirmed_commit_and_drops_locks(
    ds: Datastore, timers: list[FakeTimer]
) -> None:
    _confirmed_change(ds, persist="tok")
    ds.close_session(1)
    ds.lock("candidate", 2)
    ds.edit("candidate", config(iface("Ethernet5", "<config><enabled>false</enabled></config>")), 2)
    ds.restart()
    assert enabled(ds.running, "Ethernet4") == "true"  # the last confirmed running
    assert enabled(ds.candidate, "Ethernet5") is None  # the uncommitted edit is gone
    assert not ds.confirmed_commit_pending and timers[-1].cancelled
    assert ds.lock_owner("candidate") is None
    with pytest.raises(RpcError) as info:
        ds.commit(3, persist_id="tok")
    assert info.value.tag == "invalid-value"


def test_an_edit_inside_its_rpc_envelope_is_checked_like_a_bare_one(ds: Datastore) -> None:
    body = iface(
        "Ethernet1",
        f'<subinterfaces><subinterface><index>7</index><vlan xmlns="{VLAN}"><config>'
        "<vlan-id>5000</vlan-id></config></vlan></subinterface></subinterfaces>",
    )
    rpc = etree.fromstring(f'<rpc xmlns="{NC}"><edit-config><config>{body}</config></edit-config></rpc>')
    with pytest.raises(RpcError) as info:
        ds.edit("candidate", rpc[0][0], 1)
    assert info.value.tag == "invalid-value" and "5000" in info.value.message
    assert info.value.path is not None and "[oc-if:name='Ethernet1']" in info.value.path


@pytest.mark.parametrize(
    ("inner", "tag", "bad"),
    [
        ("<config><no-such-leaf>1</no-such-leaf></config>", "unknown-element", "no-such-leaf"),
        ("<state><oper-status>UP</oper-status></state>", "invalid-value", "state"),
    ],
)
def test_what_the_yang_lacks_or_makes_state_is_refused(ds: Datastore, inner: str, tag: str, bad: str) -> None:
    with pytest.raises(RpcError) as info:
        ds.edit("candidate", config(iface("Ethernet1", inner)), 1)
    assert (info.value.tag, info.value.info["bad-element"]) == (tag, bad)
    assert info.value.path is not None and info.value.path.startswith(
        "/oc-if:interfaces/oc-if:interface[oc-if:name='Ethernet1']"
    )
