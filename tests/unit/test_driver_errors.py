"""ncclient rpc-errors -> drivers.errors, and the driver registry."""

from __future__ import annotations

import pytest
from ncclient.operations.errors import MissingCapabilityError, TimeoutExpiredError
from ncclient.operations.rpc import RPCError, RPCReply
from ncclient.transport.errors import SessionCloseError
from ncclient.xml_ import to_ele

from drivers._errors import mapped_errors, rpc_error_info
from drivers.base import DeviceTarget
from drivers.errors import CapabilityMissing, DeviceRejected, InvalidInput, TransportError
from drivers.netconf import CANDIDATE, NetconfDriver, _filter_spec, _has
from drivers.registry import driver_for

ONE_ERROR = """<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="101">
  <rpc-error>
    <error-type>application</error-type>
    <error-tag>invalid-value</error-tag>
    <error-severity>error</error-severity>
    <error-app-tag>range-violation</error-app-tag>
    <error-path xmlns:oc-if="http://openconfig.net/yang/interfaces">
      /oc-if:interfaces/oc-if:interface[oc-if:name='eth1']/oc-if:subinterfaces
    </error-path>
    <error-message xml:lang="en">vlan-id 5000 is out of range 1..4094</error-message>
    <error-info>
      <bad-element>vlan-id</bad-element>
    </error-info>
  </rpc-error>
</rpc-reply>"""

WARNING_THEN_ERROR = """<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="102">
  <rpc-error>
    <error-type>application</error-type><error-tag>operation-failed</error-tag>
    <error-severity>warning</error-severity><error-message>just saying</error-message>
  </rpc-error>
  <rpc-error>
    <error-type>protocol</error-type><error-tag>lock-denied</error-tag>
    <error-severity>error</error-severity>
    <error-info><session-id>7</session-id></error-info>
  </rpc-error>
</rpc-reply>"""


def _error_from(reply_xml: str) -> RPCError:
    """The exception ncclient raises for this reply (as RPC._request builds it)."""
    reply = RPCReply(reply_xml)
    reply.parse()
    if len(reply.errors) > 1:
        return RPCError(to_ele(reply_xml), errs=reply.errors)
    return reply.error


def test_single_rpc_error_maps_to_device_rejected_fields() -> None:
    with pytest.raises(DeviceRejected) as caught, mapped_errors("pe1", "edit-config"):
        raise _error_from(ONE_ERROR)
    rejected = caught.value
    assert rejected.device == "pe1"
    err = rejected.error
    assert err.type == "application"
    assert err.tag == "invalid-value"
    assert err.severity == "error"
    assert err.path == "/oc-if:interfaces/oc-if:interface[oc-if:name='eth1']/oc-if:subinterfaces"
    assert err.message == "vlan-id 5000 is out of range 1..4094"
    assert err.info == {"bad-element": "vlan-id", "error-app-tag": "range-violation"}
    assert "pe1" in str(rejected) and "invalid-value" in str(rejected)


def test_several_rpc_errors_report_the_first_error_severity_one() -> None:
    info = rpc_error_info(_error_from(WARNING_THEN_ERROR))
    assert (info.type, info.tag, info.severity) == ("protocol", "lock-denied", "error")
    assert info.info == {"session-id": "7"}
    assert info.path == "" and info.message == ""


@pytest.mark.parametrize(
    "exc",
    [TimeoutExpiredError("no reply"), SessionCloseError("", ""), ConnectionRefusedError(111, "refused")],
)
def test_timeouts_and_broken_sessions_map_to_transport_error(exc: Exception) -> None:
    with pytest.raises(TransportError, match="pe1: commit"), mapped_errors("pe1", "commit"):
        raise exc


def test_missing_capability_maps_to_capability_missing() -> None:
    with pytest.raises(CapabilityMissing, match="pe1"), mapped_errors("pe1", "cancel-commit"):
        raise MissingCapabilityError("Server does not support [:confirmed-commit]")


def test_other_exceptions_are_not_swallowed() -> None:
    with pytest.raises(KeyError), mapped_errors("pe1", "x"):
        raise KeyError("bug")


def test_capability_match_ignores_query_parameters() -> None:
    assert _has([CANDIDATE + "?foo=bar"], CANDIDATE)
    assert not _has(["urn:ietf:params:netconf:capability:candidate:1.0x"], CANDIDATE)


def test_filter_spec_passes_filter_elements_through_and_wraps_a_subtree() -> None:
    whole = '<filter xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" type="subtree"><a/><b/></filter>'
    spec = _filter_spec(whole)
    assert not isinstance(spec, tuple) and spec is not None and len(spec) == 2
    assert _filter_spec('<a xmlns="urn:x"/>') == ("subtree", '<a xmlns="urn:x"/>')
    assert _filter_spec(None) is None and _filter_spec("") is None
    with pytest.raises(InvalidInput, match="well-formed"):
        _filter_spec("<a>")


def _target(platform: str) -> DeviceTarget:
    return DeviceTarget(name="pe1", host="127.0.0.1", port=830, platform=platform, username="u", password="p")


def test_registry_unknown_platform_is_invalid_request() -> None:
    with pytest.raises(InvalidInput, match="junos-nope"):
        driver_for(_target("junos-nope"))


@pytest.mark.parametrize("platform", ["rom-router", "netconf"])
def test_registry_known_platforms_give_an_unopened_netconf_driver(platform: str) -> None:
    driver = driver_for(_target(platform))
    assert isinstance(driver, NetconfDriver)
    assert driver.target.platform == platform
    with pytest.raises(TransportError, match="no open NETCONF session"):
        driver.capabilities()
