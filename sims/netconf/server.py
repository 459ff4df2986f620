"""NETCONF over SSH (RFC 6242) for simulated devices, on asyncssh.

Each accepted ``netconf`` subsystem channel becomes one NETCONF session: the server hello goes out
at once, the client hello picks the framing, then every message is answered synchronously in the
event loop. Framing errors close that session only; nothing a client sends stops the server.

Injected faults (the device model's environment, ``sims.world``): a device that refuses
connections disconnects at authentication; a latency fault sends a reply later, and the replies of
one session always leave in the order of their requests. The replies to the messages of one
received packet (a client's pipelined flight) leave together, in one write.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

import asyncssh

from sims.device import SimDevice
from sims.errors import RpcError
from sims.netconf.framing import FrameDecoder, FramingError, encode_chunked, encode_eom
from sims.netconf.messages import (
    BASE_11,
    BASE_CAPABILITIES,
    WRITABLE_RUNNING,
    build_hello,
    error_reply,
    parse_client_hello,
)
from sims.netconf.rpc import Outcome, RpcHandler
from sims.netconf.schemas import CAPABILITY as SCHEMA_CAPABILITY

log = logging.getLogger(__name__)


def server_capabilities(device: SimDevice) -> list[str]:
    """The capabilities a device announces in its hello."""
    caps = list(BASE_CAPABILITIES)
    if device.model.writable_running:
        caps.append(WRITABLE_RUNNING)
    caps.extend(device.model.module_capabilities)
    caps.append(SCHEMA_CAPABILITY)  # <get-schema> (RFC 6022)
    return caps


class NetconfChannelSession(asyncssh.SSHServerSession):
    """One NETCONF session on one SSH channel."""

    def __init__(self, device: SimDevice) -> None:
        self.device = device
        self.session_id = 0
        self._chan: asyncssh.SSHServerChannel | None = None
        self._decoder = FrameDecoder()
        self._handler: RpcHandler | None = None
        self._chunked = False
        self._closed = False
        self._closing = False  # a close-session reply waits in the outbox
        self._outbox: deque[tuple[float, Outcome]] = deque()  # delayed replies, in request order
        self._timer: asyncio.TimerHandle | None = None
        self._held: list[bytes] | None = None  # replies framed while answering one packet

    def connection_made(self, chan: asyncssh.SSHServerChannel) -> None:
        self._chan = chan

    def subsystem_requested(self, subsystem: str) -> bool:
        return subsystem == "netconf"

    def exec_requested(self, command: str) -> bool:
        return command.strip() == "netconf"

    def shell_requested(self) -> bool:
        return False

    def session_started(self) -> None:
        self.session_id = self.device.open_session(self.close)
        self._send(build_hello(server_capabilities(self.device), self.session_id))

    def data_received(self, data: bytes, datatype: asyncssh.DataType) -> None:
        if self._closed or self._closing:
            return
        self._decoder.feed(data)
        self._held = []
        try:
            for message in self._decoder.messages():
                self._on_message(message)
                if self._closed or self._closing:
                    return
        except FramingError as exc:
            log.warning("%s session %s: framing error: %s", self.device.name, self.session_id, exc)
            self.close()
        finally:
            self._release()

    def eof_received(self) -> bool:
        self.close()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._drop_outbox()
        self.device.end_session(self.session_id)

    def close(self) -> None:
        """End this session (after flushing what was written)."""
        if self._closed:
            return
        self._closed = True
        self._drop_outbox()
        self.device.end_session(self.session_id)
        self._release()
        if self._chan is not None:
            self._chan.close()

    def _on_message(self, message: bytes) -> None:
        if self._handler is None:
            try:
                caps = parse_client_hello(message)
            except RpcError as exc:
                log.warning(  # with the start of what was received
                    "%s session %s: bad hello: %s (received %r)",
                    self.device.name,
                    self.session_id,
                    exc,
                    message[:160],
                )
                self.close()
                return
            self._handler = RpcHandler(self.device, self.session_id)
            if BASE_11 in caps:
                self._chunked = True
                self._decoder.use_chunked()
            return
        try:
            outcome = self._handler.handle(message)
        except Exception:  # one bad request must not take the server down
            log.exception("%s session %s: internal error", self.device.name, self.session_id)
            outcome = Outcome(error_reply(None, RpcError(tag="operation-failed", message="internal error")))
        self._reply(outcome)

    def _reply(self, outcome: Outcome) -> None:
        """Send a reply now, or queue it behind earlier delayed ones (never overtaking them)."""
        if outcome.delay <= 0 and not self._outbox:
            self._deliver(outcome)
            return
        loop = asyncio.get_running_loop()
        due = loop.time() + max(outcome.delay, 0.0)
        if self._outbox:
            due = max(due, self._outbox[-1][0])
        self._outbox.append((due, outcome))
        self._closing = self._closing or outcome.close
        if self._timer is None:
            self._timer = loop.call_at(self._outbox[0][0], self._flush)

    def _flush(self) -> None:
        self._timer = None
        loop = asyncio.get_running_loop()
        while self._outbox and self._outbox[0][0] <= loop.time() and not self._closed:
            self._deliver(self._outbox.popleft()[1])
        if self._outbox and not self._closed:
            self._timer = loop.call_at(self._outbox[0][0], self._flush)

    def _deliver(self, outcome: Outcome) -> None:
        self._send(outcome.reply)
        if outcome.close:
            self.close()

    def _drop_outbox(self) -> None:
        self._outbox.clear()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _send(self, payload: bytes) -> None:
        if self._chan is None or self._chan.is_closing():
            return
        framed = encode_chunked(payload) if self._chunked else encode_eom(payload)
        if self._held is None:
            self._chan.write(framed)
        else:
            self._held.append(framed)

    def _release(self) -> None:
        """Write the held replies in one go (one SSH packet and one socket send for a flight)."""
        held, self._held = self._held, None
        if held and self._chan is not None and not self._chan.is_closing():
            self._chan.write(held[0] if len(held) == 1 else b"".join(held))


class DeviceSSHServer(asyncssh.SSHServer):
    """Password authentication against one device's credentials; NETCONF sessions only."""

    def __init__(self, device: SimDevice, connections: set[asyncssh.SSHServerConnection]) -> None:
        self.device = device
        self._connections = connections
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._conn is not None:
            self._connections.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        environment = self.device.model.environment
        if environment is not None and not environment.accepts_connection():
            raise asyncssh.DisconnectError(
                asyncssh.DISC_SERVICE_NOT_AVAILABLE, f"{self.device.name} refuses connections"
            )
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return self.device.check_password(username, password)

    def session_requested(self) -> NetconfChannelSession:
        return NetconfChannelSession(self.device)


async def start_netconf_server(
    device: SimDevice,
    host: str,
    port: int,
    options: asyncssh.SSHServerConnectionOptions,
    connections: set[asyncssh.SSHServerConnection],
) -> asyncssh.SSHAcceptor:
    """Listen for NETCONF over SSH for ``device``; ``options`` carries the host key and
    ``connections`` collects the open SSH connections (so a fleet can close them on stop)."""
    return await asyncssh.create_server(
        lambda: DeviceSSHServer(device, connections), host, port, options=options, reuse_address=True
    )


def server_options(host_key: asyncssh.SSHKey) -> asyncssh.SSHServerConnectionOptions:
    """Connection options shared by every device of a fleet."""
    return asyncssh.SSHServerConnectionOptions(
        server_host_keys=[host_key],
        encoding=None,
        login_timeout=30,
        allow_pty=False,
        line_editor=False,  # it only acts on a PTY, which NETCONF never gets: one layer less per message
        agent_forwarding=False,
        x11_forwarding=False,
    )
