"""Several collectors sharing the devices, with no coordinator: membership leases in the database
and rendezvous hashing.

Every ``rom telemetry run --cluster`` process holds a lease ``telemetry.member.<id>`` in the
``leases`` table (the one the outbox relay uses), renewed every ``ttl_s / 3``. The live members are
the unexpired leases; each device belongs to the member with the highest ``hash(device, member)``
(``owner``), so every member computes the same split from the same member list and only the devices
of a member that joins or leaves move (about 1/n of them). A member killed with ``kill -9`` stops
renewing: ``ttl_s`` later the others see it gone and take its devices, each subscribing afresh
(the gap). A member that joins, or stops cleanly (it leaves its lease, then streams one more check,
``telemetry.runner``), streams a device alongside its other member for up to one check interval
(the duplicates, told apart by the record header ``rom-collector``; docs/events.md).
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.outbox import LeaseRow, take_lease

log = logging.getLogger(__name__)
PREFIX = "telemetry.member."
Transaction = Callable[[], AbstractContextManager[Session]]


def _score(device: str, member: str) -> int:
    digest = hashlib.blake2b(f"{device}\0{member}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def owner(device: str, members: Sequence[str]) -> str:
    """The member a device belongs to (rendezvous hashing); ``members`` must not be empty."""
    return max(members, key=lambda member: _score(device, member))


def mine(devices: Iterable[str], me: str, members: Sequence[str]) -> set[str]:
    """The devices ``me`` should collect, given the live members (``me`` counts as live)."""
    live = sorted({*members, me})
    return {device for device in devices if owner(device, live) == me}


def member_id() -> str:
    """A fresh id for this process: host, pid and a random part (a restart is a new member)."""
    return f"{socket.gethostname()[:24]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class Membership:
    """This process's lease and the live member list, through ``transaction``."""

    def __init__(self, transaction: Transaction, me: str | None = None, ttl_s: float = 6.0) -> None:
        self.transaction = transaction
        self.me = me or member_id()
        self.ttl_s = ttl_s

    @property
    def lease(self) -> str:
        return PREFIX + self.me

    def heartbeat(self) -> list[str]:
        """Renew this member's lease; return the live members, sorted (this one included)."""
        now = datetime.now(UTC)
        with self.transaction() as session:
            take_lease(session, self.lease, self.me, now, now + timedelta(seconds=self.ttl_s))
            rows = session.scalars(
                select(LeaseRow).where(LeaseRow.name.startswith(PREFIX), LeaseRow.until >= now)
            )
            return sorted(row.owner for row in rows)

    def leave(self) -> None:
        """Give the devices back at once (a clean stop), instead of after ``ttl_s``."""
        with self.transaction() as session:
            session.execute(delete(LeaseRow).where(LeaseRow.name == self.lease))
