"""RFC 6242 framing: base:1.0 end-of-message and base:1.1 chunked, fed byte by byte or at once."""

from __future__ import annotations

import pytest

from sims.netconf.framing import FrameDecoder, FramingError, encode_chunked, encode_eom


def test_eom_messages_split_anywhere() -> None:
    stream = encode_eom(b"<a/>") + encode_eom(b"<b>]]></b>")
    decoder = FrameDecoder()
    got: list[bytes] = []
    for byte in stream:
        decoder.feed(bytes([byte]))
        got.extend(decoder.messages())
    assert got == [b"<a/>", b"<b>]]></b>"]
    assert decoder.buffered == 0


def test_chunked_round_trip_with_many_chunks() -> None:
    message = b"<rpc>" + b"x" * 1000 + b"</rpc>"
    stream = encode_chunked(message, chunk_size=7) + encode_chunked(b"<b/>")
    decoder = FrameDecoder()
    decoder.use_chunked()
    got: list[bytes] = []
    for start in range(0, len(stream), 5):
        decoder.feed(stream[start : start + 5])
        got.extend(decoder.messages())
    assert got == [message, b"<b/>"]


def test_chunked_wire_format() -> None:
    assert encode_chunked(b"abcdef", chunk_size=4) == b"\n#4\nabcd\n#2\nef\n##\n"


def test_switch_after_hello_keeps_buffered_bytes() -> None:
    decoder = FrameDecoder()
    decoder.feed(encode_eom(b"<hello/>") + encode_chunked(b"<rpc/>"))
    assert decoder.next_message() == b"<hello/>"
    decoder.use_chunked()
    assert decoder.next_message() == b"<rpc/>"


def test_incomplete_chunk_waits() -> None:
    decoder = FrameDecoder()
    decoder.use_chunked()
    decoder.feed(b"\n#10\nabc")
    assert decoder.next_message() is None
    decoder.feed(b"defghij\n##")
    assert decoder.next_message() is None
    decoder.feed(b"\n")
    assert decoder.next_message() == b"abcdefghij"


@pytest.mark.parametrize(
    "garbage",
    [b"\n#0\n", b"\n#abc\n", b"xyz!", b"\n#12345678901\n", b"\n##\n", b"\n##x"],
)
def test_malformed_chunk_headers_raise(garbage: bytes) -> None:
    decoder = FrameDecoder()
    decoder.use_chunked()
    decoder.feed(garbage)
    with pytest.raises(FramingError):
        decoder.next_message()


def test_size_cap_eom() -> None:
    decoder = FrameDecoder(max_message=16)
    decoder.feed(b"y" * 40)
    with pytest.raises(FramingError):
        decoder.next_message()


def test_size_cap_chunked() -> None:
    decoder = FrameDecoder(max_message=16)
    decoder.use_chunked()
    decoder.feed(b"\n#10\n0123456789\n#10\n")
    with pytest.raises(FramingError):
        list(decoder.messages())


def test_empty_chunked_message_rejected() -> None:
    with pytest.raises(ValueError):
        encode_chunked(b"")


class _Channel:
    """What the NETCONF session writes, write by write."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        self.writes.append(b"<closed>")


def test_a_pipelined_flight_is_answered_in_order_in_one_write() -> None:
    from sims.device import SimDevice
    from sims.models.router import ROUTER
    from sims.netconf.server import NetconfChannelSession

    nc = "urn:ietf:params:xml:ns:netconf:base:1.0"
    hello = f'<hello xmlns="{nc}"><capabilities><capability>urn:ietf:params:netconf:base:1.1'
    session, chan = NetconfChannelSession(SimDevice("r1", ROUTER)), _Channel()
    session.connection_made(chan)  # type: ignore[arg-type]
    session.session_started()
    session.data_received(encode_eom(f"{hello}</capability></capabilities></hello>".encode()), None)
    assert len(chan.writes) == 1  # the server's hello

    def rpc(n: int, body: str) -> bytes:
        return encode_chunked(f'<rpc xmlns="{nc}" message-id="{n}">{body}</rpc>'.encode())

    flight = [
        rpc(1, "<lock><target><candidate/></target></lock>"),
        rpc(2, "<get-config><source><running/></source></get-config>"),
        rpc(3, "<unlock><target><running/></target></unlock>"),  # an rpc-error in its slot
        rpc(4, "<close-session/>"),
    ]
    session.data_received(b"".join(flight), None)
    assert len(chan.writes) == 3 and chan.writes[2] == b"<closed>"
    decoder = FrameDecoder()
    decoder.use_chunked()
    decoder.feed(chan.writes[1])
    replies = list(decoder.messages())
    assert [r.split(b'message-id="')[1].split(b'"')[0] for r in replies] == [b"1", b"2", b"3", b"4"]
    assert b"<ok/>" in replies[0] and b"<data>" in replies[1] and b"rpc-error" in replies[2]
    assert b"<ok/>" in replies[3] and decoder.buffered == 0
