"""Capacity pools as the devices state them: each UPF's `maxSessions` becomes its `upf-sessions`
capacity (the pool's per-scope `capacities`; the scope is the UPF's device name).

Pure parts parse a reply and merge capacities; `sync_upf_sessions` reads the devices (through the
collector) and writes the pool definition, refused (Conflict) if a UPF now holds fewer sessions
than are reserved on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lxml import etree

from drivers.config_reads import read_filters
from drivers.nornir_plugins import make_nornir
from inventory.context import Context
from inventory.pool_defs import Pool, define_pool, get_pool
from inventory.records import list_devices

POOL = "upf-sessions"
ME = "urn:3gpp:sa5:_3gpp-common-managed-element"
UPF = "urn:3gpp:sa5:_3gpp-5gc-nrm-upffunction"
EXT = "urn:rom:yang:rom-5g-slice-ext"  # ROM's augment of Release 17 (yang/rom-5g-slice-ext.yang)
UPF_FILTER = (
    f"<ManagedElement xmlns='{ME}'><UPFFunction xmlns='{UPF}'><attributes>"
    f"<maxSessions xmlns='{EXT}'/></attributes></UPFFunction></ManagedElement>"
)
UPF_SPEC, UPF_ROLE = "slice-core", "upf"


@dataclass(frozen=True)
class SyncResult:
    pool: Pool
    found: dict[str, int]  # device -> maxSessions it states
    problems: dict[str, str]  # device -> why it could not be read


def upf_capacity(data: etree._Element) -> int | None:
    """The PDU sessions a `<data>` reply's UPF functions state (summed), or None if none does."""
    values = [(v.text or "").strip() for v in data.iter(f"{{{EXT}}}maxSessions")]
    numbers = [int(v) for v in values if v.isdigit()]
    return sum(numbers) if numbers else None


def merged(pool: Pool, found: Mapping[str, int]) -> dict[str, object]:
    """The pool's definition with `found` over its per-scope capacities."""
    return {**pool.definition, "capacities": {**(pool.definition.get("capacities") or {}), **found}}


def sync_upf_sessions(ctx: Context) -> SyncResult:
    """Read `maxSessions` from every device a slice-core UPF may be on; record what they state."""
    platforms = set(ctx.catalog.get(UPF_SPEC).roles[UPF_ROLE].platforms)
    with ctx.sessions() as session:
        devices = [d for d in list_devices(session) if d.platform in platforms]
    found: dict[str, int] = {}
    problems: dict[str, str] = {}
    if devices:
        nr = make_nornir([ctx.target(d) for d in devices], workers=ctx.settings.workers)
        try:
            replies = read_filters(nr, {d.name: [UPF_FILTER] for d in devices})
        finally:
            nr.close_connections()
        for device, reply in replies.items():
            if isinstance(reply, str):
                problems[device] = reply
            elif (capacity := upf_capacity(reply[0])) is not None:  # None: not a UPF (an SMF, AMF)
                found[device] = capacity
    with ctx.transaction() as session:
        current = get_pool(session, POOL)
        pool = define_pool(session, POOL, current.kind, merged(current, found)) if found else current
    return SyncResult(pool, found, problems)
