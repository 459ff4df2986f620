"""SSH host keys: an OpenSSH known_hosts file, the strict / tofu / off policies, recording keys.

Entries are named as OpenSSH names them: ``host`` on port 22, ``[host]:port`` elsewhere.
Strict refuses a key that is not in the file; tofu records an unknown key on first connect; both
refuse a key that differs from the one recorded. Off checks nothing.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, TextIO

import paramiko
from paramiko.hostkeys import HostKeyEntry, HostKeys, InvalidHostKey

from drivers.errors import InvalidInput, TransportError

log = logging.getLogger(__name__)
HostKeyPolicy = Literal["strict", "tofu", "off"]
POLICIES: tuple[HostKeyPolicy, ...] = ("strict", "tofu", "off")
DEFAULT_KNOWN_HOSTS = "~/.ssh/known_hosts"


def known_hosts_name(host: str, port: int) -> str:
    """How OpenSSH names ``host:port`` in known_hosts."""
    return host if port == 22 else f"[{host}]:{port}"


def known_hosts_line(host: str, port: int, public_key: str) -> str:
    """One known_hosts line for ``public_key`` (``"ssh-ed25519 AAAA... [comment]"``)."""
    parts = public_key.split()
    line = f"{known_hosts_name(host, port)} {' '.join(parts[:2])}"
    try:
        entry = HostKeyEntry.from_line(line)
    except (InvalidHostKey, ValueError) as exc:
        raise InvalidInput(f"not an SSH public key for {host}:{port}: {public_key[:40]!r} ({exc})") from None
    if entry is None:
        raise InvalidInput(f"not an SSH public key for {host}:{port}: {public_key[:40]!r}")
    return line


def load_known_hosts(path: Path) -> HostKeys:
    """The entries of ``path`` (none when it does not exist); read again only when the file
    changed (a 1,000-line file parsed on each of 1,000 connects cost seconds of GIL). Treat the
    result as read-only: it is shared."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return HostKeys()
    version = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    with _cache_lock:  # one thread parses, the others of a connect storm wait for its result
        cached = _cache.get(path)
        if cached is not None and cached[0] == version:
            return cached[1]
        keys = IndexedHostKeys()
        try:
            keys.load(str(path))
        except InvalidHostKey as exc:
            raise TransportError(f"{path}: not a valid known_hosts line: {exc.line.strip()[:80]!r}") from None
        keys.index()
        _cache[path] = (version, keys)
        return keys


class IndexedHostKeys(HostKeys):
    """`HostKeys` whose lookup goes to the host's own entries (and the hashed ones) instead of
    scanning every entry, and whose `keys()` is linear: with 1,000 entries paramiko's took ~6 ms
    of GIL per connect."""

    def index(self) -> None:
        self._by_name: dict[str, list[HostKeyEntry]] = {}
        self._hashed: list[HostKeyEntry] = []
        for entry in self._entries:
            if any(name.startswith("|1|") for name in entry.hostnames):
                self._hashed.append(entry)
            for name in entry.hostnames:
                self._by_name.setdefault(name, []).append(entry)

    def keys(self) -> Any:  # paramiko's is quadratic (and `if host_keys:` calls it through len)
        if not hasattr(self, "_by_name"):
            return super().keys()
        return list(self._by_name)

    def __len__(self) -> int:
        return len(self.keys())

    def lookup(self, hostname: str) -> Any:
        if not hasattr(self, "_by_name"):
            return super().lookup(hostname)
        # a private copy: ncclient writes through the mapping lookup returns (SubDict.update)
        view = HostKeys()
        found = dict.fromkeys([*self._by_name.get(hostname, ()), *self._hashed])
        view._entries = [HostKeyEntry(list(e.hostnames), e.key) for e in found]
        return view.lookup(hostname)


_cache: dict[Path, tuple[tuple[int, int, int], HostKeys]] = {}
_cache_lock = threading.Lock()


@contextmanager
def _locked(path: Path) -> Iterator[TextIO]:
    """``path`` opened for reading and writing (created if missing) under an exclusive lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    with os.fdopen(fd, "r+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield handle


def record(path: Path, lines: Iterable[str], replace: bool = False) -> None:
    """Add known_hosts ``lines`` to ``path`` under a file lock; with ``replace`` first drop the
    existing entries of the same names (used by whoever started those hosts and so knows them)."""
    lines = list(lines)
    names = {line.split()[0] for line in lines}
    with _locked(path) as handle:
        kept = handle.read().splitlines()
        if replace:
            kept = [old for old in kept if not old.split() or old.split()[0] not in names]
        kept += [line for line in lines if line not in kept]
        handle.seek(0)
        handle.truncate()
        handle.write("".join(f"{line}\n" for line in kept))


def record_first(path: Path, line: str) -> None:
    """Append ``line`` unless its host already has an entry (checked under the lock, so two
    first connects cannot both record a key)."""
    with _locked(path) as handle:
        if load_known_hosts(path).lookup(line.split()[0]):
            return
        text = handle.read()
        handle.write(("\n" if text and not text.endswith("\n") else "") + line + "\n")


def _describe(key: paramiko.PKey) -> str:
    return f"{key.get_name()} {key.fingerprint}"


class HostKeyCheck:
    """Decides about the host key one device presented: accept, refuse, or (tofu) record it."""

    def __init__(self, device: str, host: str, port: int, known_hosts: Path, policy: HostKeyPolicy) -> None:
        self.device = device
        self.name = known_hosts_name(host, port)
        self.host, self.port = host, port
        self.known_hosts = known_hosts
        self.policy = policy

    def verify(self, key: paramiko.PKey) -> None:
        """Accept ``key`` when recorded for this host; else raise TransportError, or under tofu
        record it when the host has no entry yet."""
        recorded = load_known_hosts(self.known_hosts).lookup(self.name)
        if recorded and recorded.get(key.get_name()) == key:
            return  # recorded meanwhile (another first connect, tofu)
        if recorded:
            raise self._changed(key, recorded)
        if self.policy != "tofu":
            raise TransportError(
                f"{self.device}: SSH host key of {self.name} ({_describe(key)}) is not in "
                f"{self.known_hosts}; refusing to connect. Add it (e.g. `ssh-keyscan -p {self.port} "
                f"{self.host} >> {self.known_hosts}`, after checking the fingerprint) or set "
                "ROM_SSH_HOST_KEY_POLICY=tofu to record keys on first connect"
            )
        record_first(self.known_hosts, f"{self.name} {key.get_name()} {key.get_base64()}")
        recorded = load_known_hosts(self.known_hosts).lookup(self.name)
        if recorded and recorded.get(key.get_name()) != key:  # another writer got there first
            raise self._changed(key, recorded)
        log.warning(
            "%s: recorded new SSH host key %s for %s in %s (tofu)",
            self.device,
            _describe(key),
            self.name,
            self.known_hosts,
        )

    def _changed(self, key: paramiko.PKey, recorded: paramiko.hostkeys.SubDict) -> TransportError:
        known = ", ".join(_describe(k) for k in recorded.values())
        return TransportError(
            f"{self.device}: SSH host key of {self.name} has CHANGED: it presented {_describe(key)}, "
            f"{self.known_hosts} has {known}; refusing to connect (a re-keyed device or someone in "
            f"the middle). If the change is expected: `ssh-keygen -R '{self.name}' -f {self.known_hosts}`"
        )


def scan_host_key(host: str, port: int, timeout: float) -> paramiko.PKey:
    """The host key ``host:port`` presents, from a key exchange without authentication (what
    ``ssh-keyscan`` does)."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        transport = paramiko.Transport(sock)
        try:
            transport.start_client(timeout=timeout)
            return transport.get_remote_server_key()
        finally:
            transport.close()


_warned_off = False


def warn_unchecked_once() -> None:
    """Log, once per process, that host keys go unchecked."""
    global _warned_off
    if not _warned_off:
        _warned_off = True
        log.warning(
            "SSH host keys are NOT verified (ROM_SSH_HOST_KEY_POLICY=off): connections can be intercepted"
        )
