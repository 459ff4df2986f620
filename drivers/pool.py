"""Sessions kept open across transactions, keyed by device: SSH handshakes dominate fleet pushes.

A driver `acquire`s a session for its device key and `release`s it when done. Only sessions that
are clean (no lock held, nothing pending) go back; the pool hands each idle session to one holder
at a time, drops sessions idle longer than `idle_timeout`, and checks health before handing one
out: a session that is closed, or (when idle longer than `probe_after`) does not answer a probe,
is closed and replaced, never handed out. Thread-safe; no background thread (expiry is lazy).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar, cast

log = logging.getLogger(__name__)


class PooledSession(Protocol):
    """What the pool needs from a session."""

    def alive(self, probe: bool) -> bool:
        """Whether the session can be used; `probe`: also exchange a message with the device."""
        ...

    def close(self) -> None: ...


S = TypeVar("S", bound=PooledSession)


@dataclass(frozen=True)
class PoolKey:
    """One device as seen by one kind of session (`netconf`, `napalm:<driver>`, ...)."""

    kind: str
    host: str
    port: int
    username: str
    security: tuple[str | None, ...] = ()  # how the transport was secured: shared only when equal


@dataclass
class PoolStats:
    opened: int = 0
    reused: int = 0
    replaced: int = 0  # idle sessions found dead (or expired) and closed instead of handed out
    closed: int = 0


class SessionPool:
    """Idle sessions per `PoolKey`; see the module docstring."""

    def __init__(
        self,
        *,
        idle_timeout: float = 120.0,
        probe_after: float = 5.0,
        max_idle_per_key: int = 4,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.idle_timeout = idle_timeout
        self.probe_after = probe_after
        self.max_idle_per_key = max_idle_per_key
        self._clock = clock
        self._idle: dict[PoolKey, list[tuple[PooledSession, float]]] = {}
        self._next_prune = 0.0
        self._lock = threading.Lock()
        self.stats = PoolStats()

    def acquire(self, key: PoolKey, connect: Callable[[], S]) -> S:
        """An idle healthy session for `key`, or a new one from `connect()` (errors propagate)."""
        while True:
            with self._lock:
                entries = self._idle.get(key)
                if not entries:
                    break
                session, since = entries.pop()  # most recently used first: likeliest alive
            idle_for = self._clock() - since
            if idle_for <= self.idle_timeout and session.alive(probe=idle_for > self.probe_after):
                with self._lock:
                    self.stats.reused += 1
                return cast(S, session)
            log.debug(
                "pool: dropping %s session to %s:%s (idle %.1f s)", key.kind, key.host, key.port, idle_for
            )
            with self._lock:
                self.stats.replaced += 1
            self._close(session)
        session = connect()
        with self._lock:
            self.stats.opened += 1
        return session

    def release(self, key: PoolKey, session: PooledSession, *, reusable: bool = True) -> None:
        """Give `session` back (kept if `reusable` and alive, else closed). Expired sessions are
        pruned at most every `prune_every()` seconds (a scan of every key on each release cost
        1,000 releases a second of GIL)."""
        keep = reusable and session.alive(probe=False)
        now = self._clock()
        expired: list[PooledSession] = []
        with self._lock:
            if keep:
                entries = self._idle.setdefault(key, [])
                entries.append((session, now))
                while len(entries) > self.max_idle_per_key:
                    expired.append(entries.pop(0)[0])
            if now >= self._next_prune:
                self._next_prune = now + self.prune_every()
                expired += self._expired(now)
        if not keep:
            expired.append(session)
        for s in expired:
            self._close(s)

    def prune_every(self) -> float:
        """Seconds between two scans for expired idle sessions."""
        return min(self.idle_timeout / 4, 10.0)

    def _expired(self, now: float) -> list[PooledSession]:
        """Take the sessions idle longer than `idle_timeout` out of the pool (lock held)."""
        expired: list[PooledSession] = []
        for k, entries in list(self._idle.items()):
            fresh = [(s, t) for s, t in entries if now - t <= self.idle_timeout]
            expired.extend(s for s, t in entries if now - t > self.idle_timeout)
            if fresh:
                self._idle[k] = fresh
            else:
                del self._idle[k]
        return expired

    def idle(self, key: PoolKey | None = None) -> int:
        """How many idle sessions the pool holds (for `key`, or in all)."""
        with self._lock:
            if key is not None:
                return len(self._idle.get(key, []))
            return sum(len(entries) for entries in self._idle.values())

    def close_all(self) -> None:
        """Close every idle session (sessions in use are closed by their holders)."""
        with self._lock:
            sessions = [s for entries in self._idle.values() for s, _ in entries]
            self._idle.clear()
        for s in sessions:
            self._close(s)

    def _close(self, session: PooledSession) -> None:
        with self._lock:
            self.stats.closed += 1
        try:
            session.close()
        except Exception as e:  # noqa: BLE001 - a session that fails to close is gone all the same
            log.debug("pool: closing a session failed: %s", e)


DEFAULT_POOL = SessionPool()
"""The process-wide pool `make_nornir` uses unless told otherwise."""
