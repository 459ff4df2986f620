"""Reconciliation: intended state from inventory versus what the devices hold.

Check-sync first: each resource's read-back is hashed (`inventory.fingerprint`) and compared with
the fingerprint recorded when it was last found in sync; only resources whose fingerprint (or
intent) changed get the full compare. Devices are read in parallel, one Nornir task each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from lxml import etree

from drivers.nornir_plugins import make_nornir
from inventory import drift_store
from inventory.collector import read_filters
from inventory.diff import Difference
from inventory.fingerprint import actual_fingerprint, intended_fingerprint
from inventory.store import Device, Resource, list_devices, list_resources
from inventory.unmanaged import Unmanaged, find_unmanaged, load_scopes
from rom.context import Context
from rom.errors import RomError
from rom.planner import Intended, intended_state
from rom.readback import differences, read_back

Mode = Literal["full", "check-sync", "compare-all"]


@dataclass(frozen=True)
class ResourceDrift:
    resource_id: str
    resource_name: str
    device: str
    differences: tuple[Difference, ...]
    unmanaged: bool = False  # an entry no resource claims (resource_id is empty)
    checked: str = "compare"  # "fingerprint" when check-sync alone decided

    @property
    def in_sync(self) -> bool:
        return not self.differences

    @property
    def unreachable(self) -> bool:
        return any(d.kind == "unreachable" for d in self.differences)


@dataclass
class Snapshot:
    """What one collection saw: the resources, their intents, and the devices' replies."""

    resources: list[Resource]
    devices: dict[str, Device]
    intended: list[Intended]
    actual: list[Any]  # rom.readback.Actual per resource
    unmanaged: list[Unmanaged] = field(default_factory=list)
    unreachable: dict[str, str] = field(default_factory=dict)  # device -> error (unmanaged scans)


def render(ctx: Context, resources: Sequence[Resource], devices: dict[str, Device]) -> list[Intended]:
    return [
        intended_state(
            ctx.catalog, ctx.catalog.get(r.spec_id), r.device, devices[r.device].platform, r.characteristics
        )
        for r in resources
    ]


def collect(
    ctx: Context, device: str | None = None, resource_id: str | None = None, scan_unmanaged: bool = True
) -> Snapshot:
    """Read every selected resource (and, unless one resource is asked for or `scan_unmanaged` is
    off, each selected device's managed lists for unmanaged entries) from the devices."""
    with ctx.sessions() as session:
        resources = list_resources(session, device=device, resource_id=resource_id)
        names = sorted({r.device for r in resources} | ({device} if device else set()))
        if not resource_id and not device:
            names = [d.name for d in list_devices(session)]
        devices = {d.name: d for d in list_devices(session, names)}
    intended = render(ctx, resources, devices)
    scopes = load_scopes(ctx.catalog) if scan_unmanaged and not resource_id else {}
    scans = {name: scopes.get(d.platform, []) for name, d in devices.items() if scopes.get(d.platform)}
    if not resources and not scans:
        return Snapshot([], devices, [], [])
    wanted = sorted({w.device for w in intended} | set(scans))
    nr = make_nornir([ctx.target(devices[n]) for n in wanted], workers=ctx.settings.workers)
    try:
        actual: list[Any] = read_back(nr, intended) if intended else []
        replies = read_filters(nr, {n: [s.filter_xml() for s in lists] for n, lists in scans.items()})
    finally:
        nr.close_connections()
    snap = Snapshot(resources, devices, intended, actual)
    for name, reply in replies.items():
        if isinstance(reply, str):
            snap.unreachable[name] = reply
            continue
        payloads = [w.payload for w in intended if w.device == name and w.protocol != "gnmi"]
        for scope, data in zip(scans[name], reply, strict=True):
            snap.unmanaged.extend(find_unmanaged(name, scope, data, payloads))
    return snap


def judge(ctx: Context, snap: Snapshot, mode: Mode = "full", record: bool = True) -> list[ResourceDrift]:
    """Fingerprint check-sync, then the full compare where it is needed; in-sync fingerprints are
    recorded (`record`)."""
    ids = [r.id for r in snap.resources]
    with ctx.sessions() as session:
        known = drift_store.fingerprints(session, ids)
    report: list[ResourceDrift] = []
    fresh: dict[str, tuple[str, str]] = {}
    for r, want, have in zip(snap.resources, snap.intended, snap.actual, strict=True):
        if isinstance(have, str):
            report.append(
                ResourceDrift(r.id, r.name, r.device, (Difference("unreachable", "/", None, have),))
            )
            continue
        prints = intended_fingerprint(want), actual_fingerprint(have)
        stored = known.get(r.id)
        same = stored is not None and (stored.intended, stored.actual) == prints
        if mode != "compare-all" and same:
            report.append(ResourceDrift(r.id, r.name, r.device, (), checked="fingerprint"))
            continue
        if mode == "check-sync":
            diff = (
                Difference("unknown", "/", None, "no fingerprint recorded yet")
                if stored is None
                else Difference("out-of-sync", "/", stored.actual[:12], prints[1][:12])
            )
            report.append(ResourceDrift(r.id, r.name, r.device, (diff,), checked="fingerprint"))
            continue
        found = tuple(differences(want, have))
        if not found and not same:
            fresh[r.id] = prints
        report.append(ResourceDrift(r.id, r.name, r.device, found))
    if record and fresh:
        with ctx.transaction() as session:
            for rid, (intended, actual) in fresh.items():
                drift_store.record(session, rid, intended, actual)
    for device, error in sorted(snap.unreachable.items()):
        if not any(d.device == device and d.unreachable for d in report):
            report.append(
                ResourceDrift("", "(device)", device, (Difference("unreachable", "/", None, error),))
            )
    for u in snap.unmanaged:
        report.append(ResourceDrift("", "(unmanaged)", u.device, (u.difference(),), unmanaged=True))
    return report


def reconcile(
    ctx: Context,
    device: str | None = None,
    resource_id: str | None = None,
    mode: Mode = "full",
    record: bool = True,
) -> list[ResourceDrift]:
    """Compare every selected resource with its device; one entry per resource, plus one per
    unmanaged entry and per unreachable device without resources. `check-sync` compares
    fingerprints only and leaves unmanaged entries to the other modes (one read per resource)."""
    try:
        snap = collect(ctx, device, resource_id, scan_unmanaged=mode != "check-sync")
    except RomError:
        raise
    except etree.XMLSyntaxError as exc:
        raise RomError(f"a device sent malformed XML: {exc}") from None
    return judge(ctx, snap, mode, record)
