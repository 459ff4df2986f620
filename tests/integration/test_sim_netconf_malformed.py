"""Malformed NETCONF input over raw SSH channels (what ncclient would never send): each gets an
rpc-error or a closed session, and the device and its neighbours keep serving."""

from __future__ import annotations

from collections.abc import Iterator

import paramiko
import pytest
from lxml import etree

from lab.support import netconf_connect
from sims.fleet import FleetThread, SimDeviceSpec
from sims.netconf.framing import MAX_MESSAGE

pytestmark = pytest.mark.integration

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
IF = "http://openconfig.net/yang/interfaces"
HELLO_10 = (
    f'<hello xmlns="{NC}"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability>'
    "</capabilities></hello>]]>]]>"
).encode()
# Only the capability changes: the hello itself stays in the base:1.0 namespace (RFC 6241 §3.1).
HELLO_11 = HELLO_10.replace(
    b"<capability>urn:ietf:params:netconf:base:1.0<", b"<capability>urn:ietf:params:netconf:base:1.1<"
)
RPC_OPEN = b'<rpc message-id="1" xmlns="' + NC.encode() + b'">'


class Raw:
    def __init__(self, port: int) -> None:
        self.client = paramiko.SSHClient()
        self.client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        self.client.connect("127.0.0.1", port, "admin", "admin", allow_agent=False, look_for_keys=False)
        transport = self.client.get_transport()
        assert transport is not None
        self.chan = transport.open_session()
        self.chan.settimeout(30)
        self.chan.invoke_subsystem("netconf")
        self.buffer = b""

    def read_until(self, marker: bytes) -> bytes:
        while marker not in self.buffer:
            data = self.chan.recv(65536)
            if not data:
                raise EOFError(self.buffer)
            self.buffer += data
        message, _, self.buffer = self.buffer.partition(marker)
        return message

    def read_to_eof(self) -> bytes:
        while data := self.chan.recv(65536):
            self.buffer += data
        return self.buffer

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def fleet() -> Iterator[FleetThread]:
    with FleetThread([SimDeviceSpec("r1"), SimDeviceSpec("r2", password="secret")], control_port=None) as f:
        yield f


@pytest.fixture
def raw(fleet: FleetThread) -> Iterator[Raw]:
    session = Raw(fleet.port("r1"))
    yield session
    session.close()


def _still_serving(fleet: FleetThread) -> None:
    """Both devices answer a fresh ncclient session."""
    for name, password in (("r1", "admin"), ("r2", "secret")):
        with netconf_connect("127.0.0.1", fleet.port(name), password=password) as m:
            reply = m.get_config("running", filter=("subtree", f'<interfaces xmlns="{IF}"/>'))
            assert reply.data_ele.xpath("//oc:name/text()", namespaces={"oc": IF})


def _error_tag(reply: bytes) -> str:
    return str(etree.fromstring(reply).xpath("string(//nc:error-tag)", namespaces={"nc": NC}))


def test_raw_malformed_xml_gets_rpc_error_and_session_survives(raw: Raw, fleet: FleetThread) -> None:
    hello = raw.read_until(b"]]>]]>")
    assert b"<session-id>" in hello
    raw.chan.sendall(HELLO_10 + RPC_OPEN + b"<get></rpc>]]>]]>")
    assert _error_tag(raw.read_until(b"]]>]]>")) == "malformed-message"
    raw.chan.sendall(
        b'<nc:rpc xmlns:nc="' + NC.encode() + b'" message-id="7" xmlns:x="urn:x" x:extra="kept">'
        b"<nc:get-config><nc:source><nc:running/></nc:source></nc:get-config></nc:rpc>]]>]]>"
    )
    reply_xml = etree.fromstring(raw.read_until(b"]]>]]>"))
    assert reply_xml.get("message-id") == "7"
    assert reply_xml.get("{urn:x}extra") == "kept"
    assert reply_xml.find(f"{{{NC}}}data") is not None
    _still_serving(fleet)


def test_raw_unknown_rpcs_and_bad_envelopes_get_rpc_errors(raw: Raw, fleet: FleetThread) -> None:
    raw.read_until(b"]]>]]>")
    cases = [
        (RPC_OPEN + b'<reboot-everything xmlns="urn:example:ops"/></rpc>', "operation-not-supported"),
        (RPC_OPEN + b"<frobnicate/></rpc>", "operation-not-supported"),
        (RPC_OPEN + b"<get/><get/></rpc>", "malformed-message"),
        (b'<rpc xmlns="' + NC.encode() + b'"><get/></rpc>', "missing-attribute"),
        (b"<not-an-rpc/>", "malformed-message"),
        (b"\xff\xfe garbage \x00", "malformed-message"),
        (RPC_OPEN + b"<get-config><source><nowhere/></source></get-config></rpc>", "invalid-value"),
    ]
    raw.chan.sendall(HELLO_10)
    for request, tag in cases:
        raw.chan.sendall(request + b"]]>]]>")
        assert _error_tag(raw.read_until(b"]]>]]>")) == tag, request
    _still_serving(fleet)


def test_raw_xml_bombs_are_refused(raw: Raw, fleet: FleetThread) -> None:
    raw.read_until(b"]]>]]>")
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE rpc [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            b'<!ENTITY %s "%s">' % (bytes([98 + i]), (b"&" + bytes([97 + i]) + b";") * 10) for i in range(8)
        )
        + b"]>"
        + RPC_OPEN
        + b"<get-config><source><running/></source><filter><x>&i;</x></filter></get-config></rpc>"
    )
    deep = RPC_OPEN + b"<edit-config>" + b"<x>" * 5000 + b"</x>" * 5000 + b"</edit-config></rpc>"
    raw.chan.sendall(HELLO_10 + laughs + b"]]>]]>" + deep + b"]]>]]>")
    for _ in range(2):
        reply = raw.read_until(b"]]>]]>")
        assert b"rpc-error" in reply and len(reply) < 100_000
    _still_serving(fleet)


def test_raw_garbage_chunk_closes_only_that_session(raw: Raw, fleet: FleetThread) -> None:
    raw.read_until(b"]]>]]>")
    raw.chan.sendall(HELLO_11 + b"\n#zz\n<rpc/>\n##\n")
    raw.read_to_eof()
    assert raw.chan.closed or raw.chan.eof_received
    _still_serving(fleet)


def test_raw_truncated_frame_then_disconnect(raw: Raw, fleet: FleetThread) -> None:
    raw.read_until(b"]]>]]>")
    raw.chan.sendall(HELLO_11 + b"\n#500\n" + RPC_OPEN + b"<get")
    raw.close()
    _still_serving(fleet)


def test_raw_truncated_eom_message_then_eof(raw: Raw, fleet: FleetThread) -> None:
    raw.read_until(b"]]>]]>")
    raw.chan.sendall(HELLO_10 + RPC_OPEN + b"<get-config><source><runn")
    raw.chan.shutdown_write()
    assert raw.read_to_eof() == b""
    _still_serving(fleet)


@pytest.mark.parametrize("framing", ["1.0", "1.1"])
def test_raw_huge_message_closes_the_session(fleet: FleetThread, framing: str) -> None:
    raw = Raw(fleet.port("r1"))
    try:
        raw.read_until(b"]]>]]>")
        raw.chan.sendall(HELLO_11 if framing == "1.1" else HELLO_10)
        filler = b"<x>" + b"y" * (MAX_MESSAGE + 1024) + b"</x>"
        if framing == "1.1":
            raw.chan.sendall(b"\n#%d\n" % (len(filler) + 64))  # announces more than the limit
        else:
            try:  # the server may close the channel before it all arrives
                for start in range(0, len(filler), 1 << 20):
                    raw.chan.sendall(filler[start : start + (1 << 20)])
            except OSError:
                pass
        assert raw.read_to_eof() == b""
    finally:
        raw.close()
    _still_serving(fleet)


def test_raw_large_valid_payload_gets_an_answer(raw: Raw, fleet: FleetThread) -> None:
    raw.read_until(b"]]>]]>")
    description = b"d" * 4_000_000
    edit = (
        RPC_OPEN
        + b'<edit-config><target><candidate/></target><config><interfaces xmlns="'
        + IF.encode()
        + b'"><interface><name>Ethernet1</name><config><description>'
        + description
        + b"</description></config></interface></interfaces></config></edit-config></rpc>"
    )
    raw.chan.sendall(HELLO_10 + edit + b"]]>]]>")
    assert b"<ok/>" in raw.read_until(b"]]>]]>")
    _still_serving(fleet)


def test_raw_rpc_before_hello_closes_session(raw: Raw, fleet: FleetThread) -> None:
    raw.read_until(b"]]>]]>")
    raw.chan.sendall(RPC_OPEN + b"<get/></rpc>]]>]]>")
    assert raw.read_to_eof() == b""
    _still_serving(fleet)
