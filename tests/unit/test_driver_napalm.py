"""The NAPALM adapter's pure parts: error mapping, filtering, compatibility shims, registry."""

from __future__ import annotations

import pytest
from napalm.base import exceptions as nx
from ncclient.operations.rpc import RPCReply

from drivers import _napalm_compat as compat
from drivers.base import DeviceTarget
from drivers.errors import CapabilityMissing, DeviceRejected, InvalidInput, TransportError
from drivers.napalm import NapalmDriver, _as_data, _mapped, _text_config, select_top
from drivers.registry import driver_for

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
REFUSAL = f"""<rpc-reply xmlns="{NC}" message-id="1"><rpc-error><error-type>application</error-type>
<error-tag>invalid-value</error-tag><error-severity>error</error-severity>
<error-path>/oc-if:interfaces/oc-vlan:vlan-id</error-path><error-message>5000</error-message>
</rpc-error></rpc-reply>"""


def _rpc_error() -> Exception:
    reply = RPCReply(REFUSAL)
    reply.parse()
    return reply.error


def test_merge_exception_wrapping_an_rpc_error_keeps_its_fields() -> None:
    with pytest.raises(DeviceRejected) as caught, _mapped("xr1", "load"):
        raise nx.MergeConfigException(_rpc_error())
    assert (caught.value.error.tag, caught.value.error.path) == (
        "invalid-value",
        "/oc-if:interfaces/oc-vlan:vlan-id",
    )


def test_other_napalm_failures_map_to_rom_errors() -> None:
    with pytest.raises(DeviceRejected, match="operation-failed"), _mapped("xr1", "commit"):
        raise nx.CommitError("boom")
    with pytest.raises(TransportError, match="xr1: connect"), _mapped("xr1", "connect"):
        raise nx.ConnectionException("refused")
    with pytest.raises(CapabilityMissing, match="xr1"), _mapped("xr1", "commit"):
        raise NotImplementedError("Commit confirm has not been implemented on this platform.")


def test_select_top_keeps_the_filtered_roots_only() -> None:
    data = f'<data xmlns="{NC}"><a xmlns="urn:a"><x/></a><b xmlns="urn:b"/></data>'
    assert select_top(data, '<a xmlns="urn:a"/>') == f'<data xmlns="{NC}"><a xmlns="urn:a"><x/></a></data>'
    whole = f'<filter xmlns="{NC}"><b xmlns="urn:b"/><a xmlns="urn:a"/></filter>'
    assert select_top(data, whole) == data
    with pytest.raises(InvalidInput):
        select_top(data, "<a>")


def test_cli_text_configs_become_a_data_document_and_back() -> None:
    doc = _as_data("hostname r1\n interface Gi0 <desc> & co\n")
    assert doc.startswith(f'<data xmlns="{NC}">')
    assert _text_config(doc) == "hostname r1\n interface Gi0 <desc> & co\n"
    xml = f'<data xmlns="{NC}"><a xmlns="urn:a"/></data>'
    assert _as_data(xml) == xml and _text_config(xml) is None


def test_replies_reach_napalm_without_an_xml_declaration() -> None:
    class Manager:
        server_capabilities = ["urn:x?module=x&revision=1", "urn:ietf:params:netconf:base:1.1"]

        def get(self) -> RPCReply:
            return RPCReply(f'<?xml version="1.0" encoding="UTF-8"?>\n<rpc-reply xmlns="{NC}"/>')

    wrapped = compat.DeclarationFreeManager(Manager())
    assert wrapped.get().xml == f'<rpc-reply xmlns="{NC}"/>'
    assert wrapped.server_capabilities == Manager.server_capabilities
    assert compat.module_namespaces(Manager.server_capabilities) == ["urn:x"]


def test_iosxr_netconf_gets_xml_encoding_and_the_key() -> None:
    args = compat.optional_args("iosxr_netconf", "/k")
    assert args["config_encoding"] == "xml" and args["key_file"] == "/k"
    assert compat.optional_args("eos", None) == {}


def test_registry_maps_napalm_prefixed_platforms_to_the_adapter() -> None:
    t = DeviceTarget("xr1", "127.0.0.1", 830, "napalm:iosxr_netconf", "u", "p")
    driver = driver_for(t)
    assert isinstance(driver, NapalmDriver) and driver.network_driver == "iosxr_netconf"
    with pytest.raises(TransportError, match="no open NAPALM connection"):
        driver.capabilities()
    with pytest.raises(InvalidInput, match="napalm:<driver>"):
        driver_for(DeviceTarget("x", "h", 1, "nope", "u", "p"))
