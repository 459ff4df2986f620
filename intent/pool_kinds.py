"""The pools that characteristics draw from: their kinds, and the built-in definitions an empty
inventory starts with (`inventory.pool_defs` stores overrides)."""

from __future__ import annotations

from typing import Any, Literal

PoolKind = Literal["range", "prefix", "asn-number", "capacity"]
KINDS: tuple[str, ...] = ("range", "prefix", "asn-number", "capacity")
DEFAULT_POOLS: dict[str, tuple[PoolKind, dict[str, Any]]] = {
    "vlan": ("range", {"min": 1, "max": 4094}),
    "ipv4": ("prefix", {"prefix": "10.0.0.0/8", "length": 32}),
    "loopback": ("prefix", {"prefix": "10.255.0.0/16", "length": 32}),
    "p2p": ("prefix", {"prefix": "10.254.0.0/16", "length": 31}),
    "rd": ("asn-number", {"asn": 65000, "min": 1, "max": 65535}),
    "rt": ("asn-number", {"asn": 65000, "min": 1, "max": 65535}),
    "bandwidth": ("capacity", {"capacity": 400_000}),  # Mbit/s per interface
    "qos-scheduler": ("range", {"min": 1, "max": 65535}),  # scheduler sequences of an interface's policy
    "prb": ("capacity", {"capacity": 100}),  # percent of a cell's PRBs
    "upf-sessions": ("capacity", {"capacity": 10_000}),  # PDU sessions per UPF (the sim's maxSessions)
}

CAPACITY_POOLS = frozenset(name for name, (kind, _) in DEFAULT_POOLS.items() if kind == "capacity")
