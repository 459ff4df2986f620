"""The session run loop sends a queued RPC at once (woken by send(), not by a poll tick)."""

from __future__ import annotations

import selectors
import socket
from collections.abc import Iterator

import pytest
from ncclient.devices.default import DefaultDeviceHandler

from drivers import _ncclient_session
from drivers._ncclient_session import PromptSSHSession

MSG_END = b"]]>]]>"


class SocketSession(PromptSSHSession):
    """PromptSSHSession whose 'channel' is one end of a local socketpair."""

    def __init__(self, channel: socket.socket) -> None:
        super().__init__(DefaultDeviceHandler({}, []))
        self.chan = channel
        self._connected = True

    def _transport_read(self) -> bytes:
        return self.chan.recv(4096)

    def _transport_write(self, data: bytes) -> int:
        return self.chan.send(data)

    def _transport_register(self, selector: selectors.BaseSelector, event: int) -> None:
        selector.register(self.chan, event)

    def _send_ready(self) -> bool:
        return True


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[SocketSession, socket.socket]]:
    # With an enormous tick, a loop that relied on polling would never send the second message.
    monkeypatch.setattr(_ncclient_session, "TICK", 3600.0)
    ours, device = socket.socketpair()
    device.settimeout(10)  # a failure guard, not a timing assertion
    s = SocketSession(ours)
    s.start()
    yield s, device
    s._closing.set()
    device.close()
    s.join(10)
    assert not s.is_alive()
    ours.close()
    s._wake_r.close()
    s._wake_w.close()


def _read_message(device: socket.socket) -> bytes:
    buf = b""
    while not buf.endswith(MSG_END):
        chunk = device.recv(4096)
        assert chunk, "session closed the channel"
        buf += chunk
    return buf[: -len(MSG_END)]


def test_each_queued_message_goes_out_while_the_loop_waits(
    session: tuple[SocketSession, socket.socket],
) -> None:
    s, device = session
    for i in range(5):
        s.send(f"<rpc message-id='{i}'/>")
        assert _read_message(device) == f"<rpc message-id='{i}'/>".encode()


def test_expected_end_of_session_stops_the_loop(session: tuple[SocketSession, socket.socket]) -> None:
    s, device = session
    s._closing.set()
    device.shutdown(socket.SHUT_WR)
    s.join(10)
    assert not s.is_alive()
