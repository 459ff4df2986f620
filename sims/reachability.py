"""The answer to a reachability question (a ping), as the network model gives it to devices."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reachability:
    """The outcome of a reachability check; ``path`` lists the devices traversed."""

    success: bool
    reason: str
    path: tuple[str, ...] = ()
