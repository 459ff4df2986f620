"""SessionPool: reuse per key, idle expiry, health checks, one holder per session, thread safety."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from drivers.pool import PoolKey, SessionPool

KEY = PoolKey("netconf", "127.0.0.1", 830, "admin")
OTHER = PoolKey("netconf", "127.0.0.1", 831, "admin")


@dataclass
class FakeSession:
    n: int
    is_alive: bool = True
    answers_probe: bool = True
    probes: int = 0
    closed: bool = False

    def alive(self, probe: bool) -> bool:
        if probe:
            self.probes += 1
            return self.is_alive and self.answers_probe
        return self.is_alive

    def close(self) -> None:
        self.closed = True


@dataclass
class Clock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Factory:
    made: list[FakeSession] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self) -> FakeSession:
        with self.lock:
            s = FakeSession(len(self.made) + 1)
            self.made.append(s)
            return s


def test_a_released_session_is_reused_for_the_same_key_only() -> None:
    pool, new = SessionPool(), Factory()
    first = pool.acquire(KEY, new)
    pool.release(KEY, first)
    assert pool.acquire(KEY, new) is first
    assert pool.acquire(OTHER, new) is not first
    assert (pool.stats.opened, pool.stats.reused) == (2, 1)


def test_a_session_is_handed_to_one_holder_at_a_time() -> None:
    pool, new = SessionPool(), Factory()
    a = pool.acquire(KEY, new)
    b = pool.acquire(KEY, new)
    assert a is not b and len(new.made) == 2


def test_dead_idle_session_is_closed_and_replaced() -> None:
    pool, new = SessionPool(), Factory()
    s = pool.acquire(KEY, new)
    pool.release(KEY, s)
    s.is_alive = False
    replacement = pool.acquire(KEY, new)
    assert replacement is not s and s.closed and not replacement.closed
    assert pool.stats.replaced == 1


def test_session_idle_past_probe_after_is_probed_and_replaced_when_silent() -> None:
    clock = Clock()
    pool, new = SessionPool(probe_after=5, clock=clock), Factory()
    s = pool.acquire(KEY, new)
    pool.release(KEY, s)
    clock.now = 1
    assert pool.acquire(KEY, new) is s and s.probes == 0  # recently used: no probe
    pool.release(KEY, s)
    clock.now = 10
    s.answers_probe = False
    assert pool.acquire(KEY, new) is not s and s.probes == 1 and s.closed


def test_sessions_idle_past_the_timeout_expire() -> None:
    clock = Clock()
    pool, new = SessionPool(idle_timeout=60, clock=clock), Factory()
    old = pool.acquire(KEY, new)
    pool.release(KEY, old)
    clock.now = 61
    other = pool.acquire(OTHER, new)
    pool.release(OTHER, other)  # releasing prunes expired sessions of every key
    assert old.closed and pool.idle(KEY) == 0 and pool.idle(OTHER) == 1


def test_unclean_or_dead_sessions_are_not_kept() -> None:
    pool, new = SessionPool(), Factory()
    dirty, dead = pool.acquire(KEY, new), pool.acquire(KEY, new)
    pool.release(KEY, dirty, reusable=False)
    dead.is_alive = False
    pool.release(KEY, dead)
    assert dirty.closed and dead.closed and pool.idle() == 0


def test_idle_sessions_per_key_are_capped() -> None:
    pool, new = SessionPool(max_idle_per_key=2), Factory()
    sessions = [pool.acquire(KEY, new) for _ in range(3)]
    for s in sessions:
        pool.release(KEY, s)
    assert pool.idle(KEY) == 2 and sessions[0].closed


def test_close_all_closes_idle_sessions() -> None:
    pool, new = SessionPool(), Factory()
    s = pool.acquire(KEY, new)
    pool.release(KEY, s)
    pool.close_all()
    assert s.closed and pool.idle() == 0


def test_concurrent_holders_never_share_a_session() -> None:
    pool, new = SessionPool(max_idle_per_key=64), Factory()
    held: list[list[int]] = [[] for _ in range(8)]
    in_use: set[int] = set()
    clash: list[int] = []
    guard = threading.Lock()
    start = threading.Barrier(8)

    def worker(i: int) -> None:
        start.wait()
        for _ in range(200):
            s = pool.acquire(KEY, new)
            with guard:
                if s.n in in_use:
                    clash.append(s.n)
                in_use.add(s.n)
            held[i].append(s.n)
            with guard:
                in_use.discard(s.n)
            pool.release(KEY, s)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert clash == []
    assert len(new.made) <= 8  # never more sessions than concurrent holders
    assert pool.stats.opened + pool.stats.reused == 8 * 200
