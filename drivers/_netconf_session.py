"""One NETCONF session as the pool and the driver see it: open, health, close.

The session is ROM's own client by default (`drivers._netconf_client`: no reader thread per
session), or ncclient's `Manager` when the target asks for it (`netconf_client="ncclient"`); both
offer the same calls. It also remembers whether its candidate may hold changes of its own (see
`candidate_dirty`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ncclient.operations.rpc import RPCError

from drivers._errors import mapped_errors
from drivers._ncclient_session import connect_ssh
from drivers._netconf_client import Call, NetconfClient, connect
from drivers.base import DeviceTarget
from drivers.errors import DriverError
from drivers.host_keys import DEFAULT_KNOWN_HOSTS, HostKeyCheck, warn_unchecked_once
from drivers.pool import PoolKey

log = logging.getLogger(__name__)

# A subtree filter that selects nothing: any reply (data or rpc-error) proves the session works.
PROBE_FILTER = '<rom-probe xmlns="urn:rom:probe"/>'


def pool_key(target: DeviceTarget, kind: str = "netconf") -> PoolKey:
    t = target
    return PoolKey(kind, t.host, t.port, t.username, (t.known_hosts, t.host_key_policy))


class NetconfSession:
    """A `NetconfClient`, or an ncclient `Manager` (`manager`: both offer the calls ROM makes).

    `candidate_dirty`: whether this session may have left uncommitted changes in the candidate
    (set before an edit of the candidate, cleared by a commit or discard that succeeded). A
    device grants the candidate lock only when no other session has uncommitted changes there
    (RFC 6241 section 7.5), so after a granted lock a session whose flag is clear knows the
    candidate holds exactly running, and need not discard it.
    """

    def __init__(self, manager: NetconfClient | Any, device: str) -> None:
        self.manager = manager
        self.device = device
        self.candidate_dirty = False

    @property
    def session_id(self) -> str:
        return str(self.manager.session_id)

    def flight(self, calls: Sequence[Call]) -> list[Any]:
        """`calls` back to back, each reply (or its RPCError) in order: ROM's client writes them
        at once (`NetconfClient.flight`); ncclient's Manager runs them one after another, every
        one whatever the earlier ones answered, as a device runs a flight."""
        m = self.manager
        if isinstance(m, NetconfClient):
            return list(m.flight(calls))
        out: list[Any] = []
        for name, kwargs in calls:
            try:
                out.append(getattr(m, name)(**kwargs))
            except RPCError as e:
                out.append(e)
        return out

    def alive(self, probe: bool) -> bool:
        m = self.manager
        if not m.connected:
            return False
        transport = None if isinstance(m, NetconfClient) else getattr(m._session, "transport", None)
        if transport is not None and not transport.is_active():  # ncclient's thread may not know yet
            return False
        if not probe:
            return True
        try:
            with mapped_errors(self.device, "probe"):
                m.get_config(source="running", filter=("subtree", PROBE_FILTER))
        except DriverError as e:
            # A refusal is an answer: alive. DeviceRejected wraps RPCError.
            return isinstance(e.__cause__, RPCError)
        return True

    def close(self) -> None:
        m = self.manager
        if not m.connected:
            return
        try:
            with mapped_errors(self.device, "close-session"):
                m.close_session()
        except DriverError as e:
            log.debug("%s: close-session failed (%s); dropping the transport", self.device, e)
            if not isinstance(m, NetconfClient):  # ROM's client closed it already
                m._session.close()


def host_key_check(target: DeviceTarget) -> HostKeyCheck | None:
    """How `target`'s SSH host key is checked (None: policy off, not checked)."""
    t = target
    if t.host_key_policy == "off":
        warn_unchecked_once()
        return None
    known_hosts = Path(t.known_hosts or DEFAULT_KNOWN_HOSTS).expanduser()
    return HostKeyCheck(t.name, t.host, t.port, known_hosts, t.host_key_policy)


def open_session(target: DeviceTarget) -> NetconfSession:
    """A new session to `target` (password and/or key authentication, after its host key is
    checked as `target.host_key_policy` says); raises TransportError."""
    t = target
    with mapped_errors(t.name, f"connect {t.host}:{t.port}"):
        if t.netconf_client == "ncclient":
            return NetconfSession(_ncclient_manager(t), t.name)
        manager = connect(
            host=t.host,
            port=t.port,
            username=t.username,
            password=t.password or None,
            key_file=t.key_file,
            timeout=t.timeout,
            host_key=host_key_check(t),
        )
    return NetconfSession(manager, t.name)


def _ncclient_manager(target: DeviceTarget) -> Any:
    """ncclient's `Manager` on ROM's prompt SSH session (no 100 ms tick), host key checked alike."""
    t = target
    return connect_ssh(
        rpc_timeout=t.timeout,
        host_key=host_key_check(t),
        host=t.host,
        port=t.port,
        username=t.username,
        password=t.password or None,
        key_filename=t.key_file,
        timeout=t.timeout,
        hostkey_verify=False,  # unless host_key is given
        allow_agent=False,
        look_for_keys=False,
    )
