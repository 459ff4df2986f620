"""drivers._netconf_client over a local socket standing in for the SSH channel: framing, replies."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest
from ncclient.operations.errors import OperationError, TimeoutExpiredError
from ncclient.operations.rpc import RPCError

from drivers._netconf_client import _OK_REPLY, BASE_10, BASE_11, EOM, NC, NetconfClient, ReadAheadSocket


class FakeTransport:
    def __init__(self) -> None:
        self.active = True

    def is_active(self) -> bool:
        return self.active

    def close(self) -> None:
        self.active = False


class SocketChannel:
    """The few paramiko.Channel calls the client makes, on one end of a socketpair."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.closed = False

    def sendall(self, data: bytes) -> None:
        self.sock.sendall(data)

    def recv(self, n: int) -> bytes:
        return self.sock.recv(n)


def hello(*caps: str, session_id: int = 7) -> bytes:
    listed = "".join(f"<capability>{c}</capability>" for c in caps)
    sid = f"<session-id>{session_id}</session-id>"
    return f'<hello xmlns="{NC}"><capabilities>{listed}</capabilities>{sid}</hello>'.encode() + EOM


def chunked(message: bytes, sizes: tuple[int, ...] = (5, 17)) -> bytes:
    """`message` in chunks of the given sizes (the rest in one), then end-of-chunks."""
    out, pos = b"", 0
    for size in (*sizes, len(message)):
        if pos >= len(message):
            break
        part = message[pos : pos + size]
        out += b"\n#%d\n%s" % (len(part), part)
        pos += len(part)
    return out + b"\n##\n"


def reply(message_id: str, body: str = "<ok/>") -> bytes:
    return f'<rpc-reply xmlns="{NC}" message-id="{message_id}">{body}</rpc-reply>'.encode()


Device = Callable[[Callable[[socket.socket], None]], NetconfClient]


@pytest.fixture
def device() -> Iterator[Device]:
    """Starts a scripted device on a thread; returns the client after the hellos."""
    pairs: list[tuple[socket.socket, socket.socket, threading.Thread]] = []

    def start(script: Callable[[socket.socket], None]) -> NetconfClient:
        ours, theirs = socket.socketpair()
        ours.settimeout(5)  # a failure guard, not a timing assertion
        theirs.settimeout(5)
        thread = threading.Thread(target=script, args=(theirs,), daemon=True)
        thread.start()
        pairs.append((ours, theirs, thread))
        client = NetconfClient(FakeTransport(), SocketChannel(ours), timeout=5)  # type: ignore[arg-type]
        client.hello()
        return client

    yield start
    for ours, theirs, thread in pairs:
        thread.join(5)
        ours.close()
        theirs.close()


_pending: dict[int, bytes] = {}  # socket fd -> bytes read past the last message


def read_until(sock: socket.socket, end: bytes) -> bytes:
    """The device's read of one message ending in `end` (what follows it is kept for the next)."""
    buf = _pending.pop(sock.fileno(), b"")
    while end not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            return buf
        buf += chunk
    message, _, rest = buf.partition(end)
    _pending[sock.fileno()] = rest
    return message + end


def test_base_11_replies_are_reassembled_from_chunks_split_across_reads(device: Device) -> None:
    sent: list[bytes] = []

    def script(sock: socket.socket) -> None:
        sock.sendall(hello(BASE_10, BASE_11, "urn:x:cap"))
        read_until(sock, EOM)  # the client's hello
        sent.append(read_until(sock, b"\n##\n"))
        data = chunked(reply("1", "<data><a>x</a></data>"))
        for i in range(0, len(data), 3):  # the client must cope with any read boundary
            sock.sendall(data[i : i + 3])

    client = device(script)
    assert client.session_id == "7" and "urn:x:cap" in client.server_capabilities
    got = client.get_config("running", ("subtree", "<a/>"))
    assert got.data_ele is not None and got.data_ele[0].text == "x"
    assert sent[0].startswith(b"\n#") and b'<filter type="subtree"><a/></filter>' in sent[0]


def test_base_10_framing_when_the_device_does_not_announce_11(device: Device) -> None:
    def script(sock: socket.socket) -> None:
        sock.sendall(hello(BASE_10))
        read_until(sock, EOM)
        assert read_until(sock, EOM).startswith(b"<rpc ")
        sock.sendall(reply("1") + EOM)

    assert device(script).lock("candidate").root.find(f"{{{NC}}}ok") is not None


def test_rpc_error_of_severity_error_raises_and_warnings_do_not(device: Device) -> None:
    error = (
        "<rpc-error><error-type>protocol</error-type><error-tag>lock-denied</error-tag>"
        "<error-severity>{}</error-severity><error-message>held</error-message></rpc-error>"
    )

    def script(sock: socket.socket) -> None:
        sock.sendall(hello(BASE_10, BASE_11))
        read_until(sock, EOM)
        read_until(sock, b"\n##\n")
        sock.sendall(chunked(reply("1", error.format("error"))))
        read_until(sock, b"\n##\n")
        sock.sendall(chunked(reply("2", error.format("warning"))))

    client = device(script)
    with pytest.raises(RPCError) as raised:
        client.lock("candidate")
    assert raised.value.tag == "lock-denied" and raised.value.severity == "error"
    client.lock("candidate")  # a warning alone is not a failure
    assert client.connected


def test_a_reply_to_another_request_ends_the_session(device: Device) -> None:
    def script(sock: socket.socket) -> None:
        sock.sendall(hello(BASE_10, BASE_11))
        read_until(sock, EOM)
        read_until(sock, b"\n##\n")
        sock.sendall(chunked(reply("99")))

    client = device(script)
    with pytest.raises(OperationError, match="message-id"):
        client.discard_changes()
    assert not client.connected


def test_no_reply_in_time_ends_the_session(device: Device) -> None:
    done = threading.Event()

    def script(sock: socket.socket) -> None:
        sock.sendall(hello(BASE_10, BASE_11))
        read_until(sock, EOM)
        done.wait(5)  # never answers

    client = device(script)
    client._chan.sock.settimeout(0.05)  # type: ignore[attr-defined]
    with pytest.raises(TimeoutExpiredError):
        client.unlock("candidate")
    done.set()
    assert not client.connected


def test_edit_config_refuses_a_payload_that_is_not_a_config_element(device: Device) -> None:
    def script(sock: socket.socket) -> None:
        sock.sendall(hello(BASE_10, BASE_11))
        read_until(sock, EOM)

    client = device(script)
    with pytest.raises(OperationError, match="<config>"):
        client.edit_config("<interfaces/>", target="candidate")


@pytest.mark.parametrize(
    ("raw", "message_id"),
    [
        (reply("12"), b"12"),
        (b"<?xml version='1.0' encoding='UTF-8'?>\n" + reply("3"), b"3"),
        (f'<rpc-reply xmlns="{NC}" message-id="4">\n  <ok />\n</rpc-reply>\n'.encode(), b"4"),
        (reply("5", "<ok/><rpc-error/>"), None),  # more than <ok/>: parsed
        (reply("6", "<data/>"), None),
        (f'<rpc-reply message-id="7" xmlns="{NC}"><ok/></rpc-reply>'.encode(), None),  # other order: parsed
        (f'<nc:rpc-reply xmlns:nc="{NC}" message-id="8"><nc:ok/></nc:rpc-reply>'.encode(), None),
        (b'<rpc-reply xmlns="urn:other" message-id="9"><ok/></rpc-reply>', None),
        (b"<?xml version='1.0' encoding='latin-1'?>" + reply("10"), None),
        (reply("11") + b"\f", None),  # not XML whitespace
    ],
)
def test_only_a_plain_ok_reply_skips_the_parse(raw: bytes, message_id: bytes | None) -> None:
    found = _OK_REPLY.fullmatch(raw)
    assert (found and found.group(3)) == message_id


def test_ok_reply_without_a_parse_still_reads_as_xml(device: Device) -> None:
    def script(sock: socket.socket) -> None:
        sock.sendall(hello(BASE_10, BASE_11))
        read_until(sock, EOM)
        read_until(sock, b"\n##\n")
        sock.sendall(chunked(b"<?xml version='1.0' encoding='UTF-8'?>\n" + reply("1")))

    got = device(script).lock("candidate")
    assert got.root.find(f"{{{NC}}}ok") is not None and got.data_ele is None


def test_read_ahead_socket_serves_small_reads_from_one_recv_and_close_wakes_a_reader() -> None:
    ours, theirs = socket.socketpair()
    theirs.settimeout(5)  # a failure guard
    wrapped = ReadAheadSocket(ours)
    theirs.sendall(b"0123456789")
    assert wrapped.recv(4) == b"0123"
    theirs.close()  # what is left was read ahead already
    assert wrapped.recv(100) == b"456789"
    assert wrapped.recv(100) == b""  # then EOF

    ours, theirs = socket.socketpair()
    wrapped = ReadAheadSocket(ours)
    got: list[bytes | OSError] = []

    def read() -> None:
        try:
            got.append(wrapped.recv(16))
        except OSError as e:  # closed before the recv began (paramiko reads that as EOF too)
            got.append(e)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    wrapped.close()
    reader.join(5)  # a reader blocked in recv would hang here without the shutdown
    theirs.close()
    assert not reader.is_alive()
    assert got == [b""] or (len(got) == 1 and isinstance(got[0], OSError))
