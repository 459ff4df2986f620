"""An ncclient SSH session that sends queued RPCs at once instead of on a 100 ms tick.

Stock ncclient (`Session.run`) only looks at its send queue after `select(timeout=TICK)`
returns, so every RPC waits up to `TICK` (0.1 s) before it leaves. Here `send()` also writes
one byte to a socketpair that the run loop selects on, so the loop wakes as soon as something
is queued and otherwise sleeps until the device sends data (no polling).

Mirrors ncclient 0.7.1: `ncclient.transport.session.Session.run` and
`ncclient.manager.connect_ssh`. Re-check both when upgrading ncclient.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
from pathlib import Path
from typing import Any

from ncclient import manager as nc_manager
from ncclient.operations import RaiseMode
from ncclient.transport import parser as nc_parser
from ncclient.transport.errors import SessionCloseError
from ncclient.transport.session import END_DELIM, MSG_DELIM, TICK, NetconfBase
from ncclient.transport.ssh import SSHSession

from drivers.host_keys import HostKeyCheck, load_known_hosts

TRANSPORT_POLL_S = 2.0


class PromptSSHSession(SSHSession):
    """`SSHSession` whose run loop is woken by `send()`."""

    parser: Any  # set by SSHSession

    def __init__(self, device_handler: Any, known_hosts: str | None = None) -> None:
        super().__init__(device_handler)
        self.known_hosts = known_hosts
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)

    def load_known_hosts(self, filename: str | None = None) -> None:
        """ROM's known_hosts file (a missing one is empty) instead of ``~/.ssh/known_hosts``."""
        if self.known_hosts is None or filename is not None:
            super().load_known_hosts(filename)
        else:
            self._host_keys = load_known_hosts(Path(self.known_hosts))

    def send(self, message: str) -> None:
        super().send(message)
        # OSError: buffer full (a wake-up is already pending) or the session is closing.
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")

    def close(self) -> None:
        super().close()
        self._wake_r.close()
        self._wake_w.close()

    def _write_message(self, message: str) -> None:
        data = message.encode()
        if self._base == NetconfBase.BASE_11:
            data = b"\n#%i\n%s%s" % (len(data), data, END_DELIM)
        else:
            data += MSG_DELIM
        while data:
            n = self._transport_write(data)
            if n <= 0:
                raise SessionCloseError(self._buffer.getvalue(), data)
            data = data[n:]

    def _read_once(self) -> bool:
        """Feed one read from the channel to the parser; False at an expected end of session."""
        data = self._transport_read()
        if not data:
            if self._closing.is_set():
                return False
            raise SessionCloseError(self._buffer.getvalue())
        try:
            self.parser.parse(data)
        except nc_parser.SAXFilterXMLNotFoundError:
            self.parser = nc_parser.DefaultXMLParser(self)
            self.parser.parse(data)
        return True

    def run(self) -> None:
        q = self._q
        sel = selectors.DefaultSelector()
        try:
            self._transport_register(sel, selectors.EVENT_READ)
            sel.register(self._wake_r, selectors.EVENT_READ)
            while True:
                while not q.empty() and self._send_ready():
                    self._write_message(q.get())
                # Only when the SSH window is full do we poll, as stock ncclient does.
                timeout = TICK if not q.empty() else None
                for key, _ in sel.select(timeout=timeout):
                    if key.fileobj is self._wake_r:
                        while self._drain_wake():
                            pass
                    elif not self._read_once():
                        return
        except Exception as e:  # noqa: BLE001 - as stock ncclient: hand the error to waiting RPCs
            self.logger.debug("Broke out of main loop, error=%r", e)
            self._dispatch_error(e)
            self.close()
        finally:
            sel.close()

    def _drain_wake(self) -> bool:
        try:
            return bool(self._wake_r.recv(4096))
        except BlockingIOError:
            return False


def _nodelay_socket(host: str, port: int, timeout: float | None) -> socket.socket:
    """A connected TCP socket without Nagle: small NETCONF writes otherwise wait ~40 ms for
    the peer's delayed ACK (seen on the first RPCs of every session)."""
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def connect_ssh(
    *, rpc_timeout: float, host_key: HostKeyCheck | None = None, **kwds: Any
) -> nc_manager.Manager:
    """`ncclient.manager.connect_ssh` for the default device handler, on `PromptSSHSession`.

    `kwds` go to `SSHSession.connect` (`host` and `port` required unless `sock` is given);
    rpc-errors of severity error raise `RPCError`. With `host_key`, the server's key is checked
    against its known_hosts file before authenticating; a key found in no entry goes to
    `host_key.verify` (which raises, or records it under tofu).
    """
    device_handler = nc_manager.make_device_handler(None, [])
    device_handler.add_additional_ssh_connect_params(kwds)
    device_handler.add_additional_netconf_params({})
    sock = kwds.get("sock") or _nodelay_socket(kwds["host"], kwds["port"], kwds.get("timeout"))
    session = PromptSSHSession(device_handler, str(host_key.known_hosts) if host_key else None)
    if host_key is not None:

        def unknown_host(_host: str, _fingerprint: str) -> bool:
            host_key.verify(session._transport.get_remote_server_key())
            return True

        kwds.update(hostkey_verify=True, unknown_host_cb=unknown_host)
    try:
        session.connect(**{**kwds, "sock": sock})
    except Exception:
        if session.transport:
            session.close()  # closes the socket too
        else:
            sock.close()
            session._wake_r.close()
            session._wake_w.close()
        raise
    # paramiko's transport thread wakes every 0.1 s to check it is still active: with 1,000 pooled
    # sessions that is 10,000 GIL grabs a second (0.21 CPU-s/s idle, measured). Data and EOF still
    # wake it at once; only a local close waits up to this long for the thread to notice.
    session.transport.sock.settimeout(TRANSPORT_POLL_S)
    return nc_manager.Manager(session, device_handler, timeout=rpc_timeout, raise_mode=RaiseMode.ERRORS)
