"""Who holds a lease or a lock, and whether that process still lives.

`owner_id()` names this process as ``host:pid:start:nonce`` (start: the process's start time in
clock ticks since boot, from /proc). For an owner on this host, `is_dead` tells at once that its
process has exited (no such pid, or the pid now belongs to a later process), so a `kill -9`-ed
process's order leases, device locks and relay lease pass on without waiting for the lease to run
out. An owner on another host, or on a system without /proc, is taken as alive: its lease decides.
"""

from __future__ import annotations

import os
import socket
import uuid
from functools import cache


def _start_ticks(pid: int) -> str | None:
    """The process's start time (field 22 of /proc/<pid>/stat), or None if there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    return fields[19].decode()  # fields after "(comm)" start at field 3


@cache
def _host() -> str:
    return socket.gethostname()[:32]  # an owner fits the 64 characters an order row keeps


def owner_id() -> str:
    pid = os.getpid()
    return f"{_host()}:{pid}:{_start_ticks(pid) or '-'}:{uuid.uuid4().hex[:8]}"


def is_dead(owner: str) -> bool:
    """True only when `owner` names a process on this host that has certainly exited."""
    parts = owner.rsplit(":", 3)
    if len(parts) != 4 or parts[0] != _host() or not parts[1].isdigit() or parts[2] == "-":
        return False
    if not os.path.isdir("/proc/self"):
        return False
    return _start_ticks(int(parts[1])) != parts[2]
