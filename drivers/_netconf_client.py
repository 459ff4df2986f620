"""A NETCONF client over one SSH channel with no reader thread of its own (RFC 6241, RFC 6242).

The thread that calls an operation writes the `<rpc>` and reads its `<rpc-reply>` from the
channel itself: one hand-off per RPC (paramiko's transport thread -> caller) instead of
ncclient's three (caller -> session thread -> transport -> session thread -> caller), and the
reply is parsed once. With 1,000 pooled sessions that halves the client's CPU per device.

The API is the subset of ncclient's `Manager` ROM uses; failures are ncclient's exceptions
(`RPCError` for an rpc-error of severity error, `TimeoutExpiredError`, `SessionCloseError`,
`OperationError` for a reply that does not match), so `drivers._errors.mapped_errors` maps them.
One holder at a time (the pool hands a session to one driver); a lock guards against misuse.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import paramiko
from lxml import etree
from ncclient.operations.errors import OperationError, TimeoutExpiredError
from ncclient.operations.rpc import RPCError
from ncclient.transport.errors import SessionCloseError

from drivers.host_keys import HostKeyCheck, load_known_hosts

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
MONITORING = "urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring"
BASE_10 = "urn:ietf:params:netconf:base:1.0"
BASE_11 = "urn:ietf:params:netconf:base:1.1"
EOM = b"]]>]]>"
END_CHUNKS = b"\n##\n"
# Cheapest first; the rest of paramiko's lists follow, so a server that offers only those still
# connects. Ciphers: AEAD (no separate MAC pass over each packet). Key exchange: X25519 before
# paramiko's first choice, the ML-KEM-768 hybrid, which cost ~0.5 ms more per connect on each side
# (client and simulator, measured; see bench/RESULTS.md, session 7).
PREFERRED_CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com")
PREFERRED_KEX = ("curve25519-sha256", "curve25519-sha256@libssh.org")
_OK = f"{{{NC}}}ok"
_RPC_ERROR = f"{{{NC}}}rpc-error"
_SEVERITY = f"{{{NC}}}error-severity"
_DATA = f"{{{NC}}}data"
_PARSER = etree.XMLParser(remove_blank_text=False, resolve_entities=False, no_network=True)

CLIENT_HELLO = (
    f'<?xml version="1.0" encoding="UTF-8"?><hello xmlns="{NC}"><capabilities>'
    f"<capability>{BASE_10}</capability><capability>{BASE_11}</capability>"
    "</capabilities></hello>"
).encode() + EOM


# A whole reply that is exactly `<ok/>` for the message-id in group 3 (optional XML declaration,
# the base namespace as default, no other attributes): known without a parse. Anything else
# (rpc-errors, data, other spellings) goes through lxml.
_OK_REPLY = re.compile(
    (
        rb"""W(?:<\?xml version=(['"])1\.0\1(?: encoding=(['"])(?i:utf-8)\2)?W\?>W)?"""
        rb'<rpc-reply xmlns="NS" message-id="(\d+)"W>W<okW/>W</rpc-reply>W'
    )
    .replace(b"W", rb"[ \t\r\n]*")  # XML's whitespace
    .replace(b"NS", re.escape(NC.encode()))
)


class Reply:
    """One `<rpc-reply>`: `xml` (text), `data_ele` (its `<data>`), `data` (get-schema's text).
    `root`, the parsed element, is parsed on first use for an `<ok/>` reply known by `_OK_REPLY`."""

    def __init__(self, root: etree._Element | None, raw: bytes = b"") -> None:
        self._root = root
        self._raw = raw

    @property
    def root(self) -> etree._Element:
        if self._root is None:
            self._root = etree.fromstring(self._raw, _PARSER)
        return self._root

    @property
    def xml(self) -> str:
        return str(etree.tostring(self.root, encoding="unicode"))

    @property
    def data_ele(self) -> Any:
        return self.root.find(_DATA)

    @property
    def data(self) -> str | None:
        found = self.root.find(f"{{{MONITORING}}}data")
        return None if found is None else found.text


class _Slot:
    """One parsed reply of an exchange, and the RPCError it carries (None: no error)."""

    __slots__ = ("error", "reply")

    def __init__(self, reply: Reply, error: RPCError | None = None) -> None:
        self.reply = reply
        self.error = error

    def result(self) -> Reply:
        if self.error is not None:
            raise self.error
        return self.reply


def _config_element(config: str | etree._Element) -> bytes:
    """`config` as the `<config>` element's bytes (parsed, so bad XML fails before sending)."""
    root = etree.fromstring(config.encode(), _PARSER) if isinstance(config, str) else config
    if etree.QName(root).localname != "config":
        raise OperationError(f"edit-config needs a <config> element, got <{etree.QName(root).localname}>")
    return bytes(etree.tostring(root))


def _filter_element(spec: Any) -> bytes:
    """ncclient's filter argument (("subtree", xml) or a `<filter>` element) as `<filter>` bytes."""
    if spec is None:
        return b""
    if isinstance(spec, tuple):
        kind, criteria = spec
        if kind != "subtree":
            raise OperationError(f"filter type {kind!r} is not supported (subtree only)")
        inner = criteria if isinstance(criteria, bytes) else str(criteria).encode()
        etree.fromstring(inner, _PARSER)  # bad XML fails here, not on the device
        return b'<filter type="subtree">' + inner + b"</filter>"
    return bytes(etree.tostring(spec))


# --- operations as request bytes (ncclient's Manager names and arguments) -------------------------


def _lock(target: str) -> bytes:
    return f"<lock><target><{target}/></target></lock>".encode()


def _unlock(target: str) -> bytes:
    return f"<unlock><target><{target}/></target></unlock>".encode()


def _discard_changes() -> bytes:
    return b"<discard-changes/>"


def _edit_config(
    config: str | etree._Element, target: str = "candidate", error_option: str | None = None
) -> bytes:
    option = f"<error-option>{error_option}</error-option>".encode() if error_option else b""
    head = f"<edit-config><target><{target}/></target>".encode()
    return head + option + _config_element(config) + b"</edit-config>"


def _commit(
    confirmed: bool = False,
    timeout: str | None = None,
    persist: str | None = None,
    persist_id: str | None = None,
) -> bytes:
    parts = ["<commit>"]
    if confirmed:
        parts.append("<confirmed/>")
        if timeout is not None:
            parts.append(f"<confirm-timeout>{escape(str(timeout))}</confirm-timeout>")
        if persist is not None:
            parts.append(f"<persist>{escape(persist)}</persist>")
    if persist_id is not None:
        parts.append(f"<persist-id>{escape(persist_id)}</persist-id>")
    parts.append("</commit>")
    return "".join(parts).encode()


def _cancel_commit(persist_id: str | None = None) -> bytes:
    inner = "" if persist_id is None else f"<persist-id>{escape(persist_id)}</persist-id>"
    return f"<cancel-commit>{inner}</cancel-commit>".encode()


def _get_config(source: str, filter: Any = None) -> bytes:
    head = f"<get-config><source><{source}/></source>".encode()
    return head + _filter_element(filter) + b"</get-config>"


def _get_schema(identifier: str, version: str | None = None, format: str | None = None) -> bytes:
    parts = [f'<get-schema xmlns="{MONITORING}"><identifier>{escape(identifier)}</identifier>']
    if version:
        parts.append(f"<version>{escape(version)}</version>")
    if format:
        parts.append(f"<format>{escape(format)}</format>")
    parts.append("</get-schema>")
    return "".join(parts).encode()


# What `NetconfClient.flight` accepts: (Manager method name, keyword arguments).
Call = tuple[str, dict[str, Any]]
OPERATIONS: dict[str, Callable[..., bytes]] = {
    "lock": _lock,
    "unlock": _unlock,
    "discard_changes": _discard_changes,
    "edit_config": _edit_config,
    "commit": _commit,
    "cancel_commit": _cancel_commit,
    "get_config": _get_config,
    "get_schema": _get_schema,
}


class NetconfClient:
    """One NETCONF session; see the module docstring."""

    def __init__(self, transport: paramiko.Transport, channel: paramiko.Channel, timeout: float) -> None:
        self._transport = transport
        self._chan = channel
        self.timeout = timeout
        self._lock = threading.Lock()
        self._buf = bytearray()
        self._next_id = 1
        self._closed = False
        self._chunked = False
        self.session_id: str | None = None
        self.server_capabilities: list[str] = []

    # --- session -----------------------------------------------------------------------------

    def hello(self) -> None:
        """Exchange `<hello>`s; chunked framing (base:1.1) when both announce it."""
        self._chan.sendall(CLIENT_HELLO)
        root = etree.fromstring(self._read_eom(), _PARSER)
        caps = root.find(f"{{{NC}}}capabilities")
        self.server_capabilities = [(c.text or "").strip() for c in (caps if caps is not None else ())]
        sid = root.find(f"{{{NC}}}session-id")
        self.session_id = None if sid is None else (sid.text or "").strip()
        self._chunked = BASE_11 in self.server_capabilities

    @property
    def connected(self) -> bool:
        return not self._closed and self._transport.is_active() and not self._chan.closed

    @property
    def transport(self) -> paramiko.Transport:
        return self._transport

    def close_session(self) -> None:
        """`<close-session>`, then the transport is closed (also when the RPC fails)."""
        try:
            self.rpc(b"<close-session/>")
        finally:
            self.drop()

    def drop(self) -> None:
        """Close the transport without a `<close-session>`."""
        self._closed = True
        self._transport.close()

    # --- operations (ncclient's Manager names) -------------------------------------------------

    def lock(self, target: str) -> Reply:
        return self.rpc(_lock(target))

    def unlock(self, target: str) -> Reply:
        return self.rpc(_unlock(target))

    def discard_changes(self) -> Reply:
        return self.rpc(_discard_changes())

    def edit_config(
        self, config: str | etree._Element, target: str = "candidate", error_option: str | None = None
    ) -> Reply:
        return self.rpc(_edit_config(config, target, error_option))

    def commit(
        self,
        confirmed: bool = False,
        timeout: str | None = None,
        persist: str | None = None,
        persist_id: str | None = None,
    ) -> Reply:
        return self.rpc(_commit(confirmed, timeout, persist, persist_id))

    def cancel_commit(self, persist_id: str | None = None) -> Reply:
        return self.rpc(_cancel_commit(persist_id))

    def get_config(self, source: str, filter: Any = None) -> Reply:
        return self.rpc(_get_config(source, filter))

    def get_schema(self, identifier: str, version: str | None = None, format: str | None = None) -> Reply:
        return self.rpc(_get_schema(identifier, version, format))

    def dispatch(self, operation: etree._Element) -> Reply:
        return self.rpc(bytes(etree.tostring(operation)))

    # --- one RPC -----------------------------------------------------------------------------

    def rpc(self, operation: bytes) -> Reply:
        """Send one `<rpc>` around `operation`, read its reply; RPCError on an error-severity
        rpc-error (several: one RPCError carrying them all, as ncclient raises)."""
        with self._lock:  # `_exchange` for one, without its lists (this is every RPC's path)
            if not self.connected:
                raise SessionCloseError("", "session is closed")
            message_id = str(self._next_id)
            self._next_id += 1
            self._write(
                self._framed(f'<rpc xmlns="{NC}" message-id="{message_id}">'.encode() + operation + b"</rpc>")
            )
            raw = self._read_message()
        return self._parse(raw, message_id).result()

    def flight(self, calls: Sequence[Call]) -> list[Reply | RPCError]:
        """Several RPCs back to back on this session (RFC 6241 section 4.1: the server answers
        them in order): every `<rpc>` is written at once, then the replies are read in order.

        `calls`: (Manager method name, keyword arguments), e.g. ("get_config", {"source":
        "running"}). Each reply is parsed as `rpc` parses it, but an rpc-error is returned in
        its slot instead of raised: the device ran every RPC of the flight whatever the earlier
        ones answered, and every reply has been read, so the session is in step for the next
        RPC. Bad arguments fail before anything is sent; a transport failure, a timeout or a
        reply out of order raises as in `rpc` (the session is dropped)."""
        unknown = [name for name, _ in calls if name not in OPERATIONS]
        if unknown:
            raise OperationError(f"no such operation in a flight: {', '.join(unknown)}")
        operations = [OPERATIONS[name](**kwargs) for name, kwargs in calls]
        return [slot.reply if slot.error is None else slot.error for slot in self._exchange(operations)]

    def _exchange(self, operations: Sequence[bytes]) -> list[_Slot]:
        """Write an `<rpc>` per operation (one send), read as many replies, parse each."""
        with self._lock:
            if not self.connected:
                raise SessionCloseError("", "session is closed")
            first = self._next_id
            self._next_id += len(operations)
            ids = [str(first + i) for i in range(len(operations))]
            self._write(
                b"".join(
                    self._framed(f'<rpc xmlns="{NC}" message-id="{mid}">'.encode() + op + b"</rpc>")
                    for mid, op in zip(ids, operations, strict=True)
                )
            )
            raws = [self._read_message() for _ in ids]
        return [self._parse(raw, mid) for raw, mid in zip(raws, ids, strict=True)]

    def _parse(self, raw: bytes, message_id: str) -> _Slot:
        ok = _OK_REPLY.fullmatch(raw)
        if ok is not None and ok.group(3) == message_id.encode():
            return _Slot(Reply(None, raw))
        root = etree.fromstring(raw, _PARSER)
        if root.get("message-id") != message_id:
            self.drop()  # replies and requests no longer pair up: the session is not trustworthy
            raise OperationError(f"reply message-id {root.get('message-id')!r}, expected {message_id}")
        if root.find(_OK) is None:
            errors = [RPCError(e) for e in root.iter(_RPC_ERROR)]
            if errors and (errors[0].severity or "").strip() == "error":
                return _Slot(Reply(root), errors[0] if len(errors) == 1 else RPCError(root, errs=errors))
        return _Slot(Reply(root))

    def _framed(self, data: bytes) -> bytes:
        return b"\n#%d\n%s%s" % (len(data), data, END_CHUNKS) if self._chunked else data + EOM

    def _write(self, framed: bytes) -> None:
        try:
            self._chan.sendall(framed)
        except OSError as e:
            self.drop()
            raise SessionCloseError("", f"sending failed: {e}") from e

    def _recv(self) -> None:
        try:
            data = self._chan.recv(65536)
        except TimeoutError:
            self.drop()  # a late reply would be read as the next RPC's: end the session
            raise TimeoutExpiredError(f"no reply within {self.timeout} s") from None
        if not data:
            self.drop()
            raise SessionCloseError(bytes(self._buf).decode(errors="replace"))
        self._buf += data

    def _read_eom(self) -> bytes:
        while (end := self._buf.find(EOM)) < 0:
            self._recv()
        message = bytes(self._buf[:end])
        del self._buf[: end + len(EOM)]
        return message

    def _read_message(self) -> bytes:
        if not self._chunked:
            return self._read_eom()
        parts: list[bytes] = []
        pos = 0
        buf = self._buf  # _recv extends it in place
        while True:
            while len(buf) < pos + 4:
                self._recv()
            if buf[pos : pos + 4] == END_CHUNKS:
                del buf[: pos + 4]
                return b"".join(parts)
            while (eol := buf.find(b"\n", pos + 2)) < 0:
                self._recv()
            header = bytes(buf[pos + 2 : eol])
            if buf[pos : pos + 2] != b"\n#" or not header.isdigit():
                self.drop()
                raise SessionCloseError("", f"bad chunk header {bytes(buf[pos : eol + 1])!r}")
            start, size = eol + 1, int(header)
            while len(buf) < start + size:
                self._recv()
            parts.append(bytes(buf[start : start + size]))
            pos = start + size


# --- opening a session ---------------------------------------------------------------------------


class ReadAheadSocket:
    """The TCP socket as paramiko's transport thread reads it: one `recv` takes all that has
    arrived (up to 64 KiB) and later calls are served from it. Paramiko reads each SSH packet in
    two or three calls (first block, rest, MAC), and every call on a socket with a timeout is a
    poll and a recv, each giving up the GIL; with ~1,100 threads taking it back often means
    waiting for another thread's switch interval. Anything else is the socket's."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._ahead = b""

    def recv(self, n: int) -> bytes:
        if not self._ahead:
            self._ahead = self._sock.recv(max(n, 65536))
        out, self._ahead = self._ahead[:n], self._ahead[n:]
        return out

    def close(self) -> None:
        """Shut down first: it wakes a transport thread blocked in `recv` (a plain close does
        not), which then sees EOF and ends."""
        with contextlib.suppress(OSError):  # not connected any more
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def _nodelay_socket(host: str, port: int, timeout: float | None) -> socket.socket:
    """A connected TCP socket without Nagle: small NETCONF writes otherwise wait ~40 ms for
    the peer's delayed ACK."""
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _recorded(check: HostKeyCheck) -> list[paramiko.PKey]:
    """The keys known_hosts records for the device: under `[host]:port` and, as ncclient (and
    so ROM before its own client) accepts, under the bare `host`."""
    keys = load_known_hosts(check.known_hosts)
    return [k for name in (check.name, check.host) for k in (keys.lookup(name) or {}).values()]


def _host_key_types(check: HostKeyCheck) -> list[str]:
    """The host key algorithms to offer: those recorded for the host (so the server presents
    the key known_hosts holds), else paramiko's own list."""
    types: list[str] = []
    for key in _recorded(check):
        name = key.get_name()
        types += ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] if name == "ssh-rsa" else [name]
    return types


def _check_host_key(check: HostKeyCheck, key: paramiko.PKey) -> None:
    """Accept a key recorded for the device; anything else goes to `check.verify` (which
    refuses, or under tofu records a host's first key)."""
    if any(k.get_name() == key.get_name() and k == key for k in _recorded(check)):
        return
    check.verify(key)


def _prefer(available: Sequence[str], first: Sequence[str]) -> list[str]:
    return [a for a in first if a in available] + [a for a in available if a not in first]


def _authenticate(t: paramiko.Transport, username: str, password: str | None, key_file: str | None) -> None:
    if key_file:
        key = paramiko.PKey.from_path(Path(key_file).expanduser())
        try:
            t.auth_publickey(username, key)
        except paramiko.AuthenticationException:
            if not password:
                raise
    if not t.is_authenticated() and password:
        t.auth_password(username, password)
    if not t.is_authenticated():
        raise paramiko.AuthenticationException(f"no password or key accepted for {username}")


def connect(
    *,
    host: str,
    port: int,
    username: str,
    password: str | None,
    key_file: str | None,
    timeout: float,
    host_key: HostKeyCheck | None,
) -> NetconfClient:
    """A NETCONF session to `host:port`: SSH key exchange, the server's host key checked by
    `host_key` (None: not checked), authentication, the `netconf` subsystem, `<hello>`s."""
    sock = _nodelay_socket(host, port, timeout)
    t = paramiko.Transport(ReadAheadSocket(sock))  # paramiko takes socket-like objects
    try:
        options = t.get_security_options()
        options.ciphers = tuple(_prefer(options.ciphers, PREFERRED_CIPHERS))
        options.kex = tuple(_prefer(options.kex, PREFERRED_KEX))
        if host_key is not None:
            known = [k for k in _host_key_types(host_key) if k in options.key_types]
            if known:
                options.key_types = tuple(known)
        t.start_client(timeout=timeout)
        if host_key is not None:
            _check_host_key(host_key, t.get_remote_server_key())
        _authenticate(t, username, password, key_file)
        chan = t.open_session(timeout=timeout)
        chan.settimeout(timeout)
        chan.invoke_subsystem("netconf")
        client = NetconfClient(t, chan, timeout)
        client.hello()
    except BaseException:
        t.close()  # closes the socket too
        raise
    # Blocking from now on (the handshake above needed timeouts): paramiko's transport thread
    # would otherwise wake every 0.1 s to check it is still active (10,000 GIL grabs a second
    # with 1,000 pooled sessions), and every recv and send on a socket with a timeout is a poll
    # plus the call, two GIL hand-offs. Closing wakes the thread (`ReadAheadSocket.close`); RPC
    # timeouts are the channel's (`chan.settimeout`), not the socket's.
    sock.settimeout(None)
    return client
