"""Reconciliation: intended state from inventory versus what the devices hold.

A resource has one part per role (a slice-core resource: its UPF part and its SMF part), each
rendered, read, compared and reported on its own device. Check-sync first: each part's read-back
is hashed (`intent.fingerprint`) and compared with the fingerprint recorded when it was last
found in sync; only parts whose fingerprint (or intent) changed get the full compare. Devices are
read in parallel, one Nornir task each.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Literal

from lxml import etree

from core.errors import EXPECTED, RomError
from drift.unmanaged import Unmanaged, find_unmanaged, load_scopes
from drivers.config_reads import read_back, read_filters
from drivers.nornir_plugins import make_nornir
from intent.fingerprint import actual_fingerprint, intended_fingerprint
from intent.planner import Intended
from intent.readback import differences, shared_view
from intent.tree import Difference
from inventory import fingerprints
from inventory.context import Context
from inventory.intents import MissingDevice, Part, parts_on, render_parts, select_resources
from inventory.records import Device, list_devices

Mode = Literal["full", "check-sync", "compare-all"]


@dataclass(frozen=True)
class ResourceDrift:
    resource_id: str
    resource_name: str
    device: str
    differences: tuple[Difference, ...]
    unmanaged: bool = False  # an entry no resource claims (resource_id is empty)
    checked: str = "compare"  # "fingerprint" when check-sync alone decided
    key: str = ""  # the resource part (`Part.key`) this row is about

    @property
    def in_sync(self) -> bool:
        return not self.differences

    @property
    def unreachable(self) -> bool:
        return any(d.kind == "unreachable" for d in self.differences)


@dataclass
class Snapshot:
    """What one collection saw: the resource parts and the devices' replies (`actual[i]` is what
    `parts[i]` read back, or the error text)."""

    parts: list[Part]
    devices: dict[str, Device]
    actual: list[Any]  # intent.readback.Actual per part
    unmanaged: list[Unmanaged] = field(default_factory=list)
    unreachable: dict[str, str] = field(default_factory=dict)  # device -> error (unmanaged scans)
    unknown: list[ResourceDrift] = field(default_factory=list)  # parts whose device is not known


def _unknown_device(m: MissingDevice) -> ResourceDrift:
    why = f"role {m.role}: device {m.device!r} is not in the inventory"
    error = Difference("unreachable", "/", None, why)
    return ResourceDrift(m.resource.id, m.resource.name, m.device, (error,), key=m.key)


def collect(
    ctx: Context,
    device: str | None = None,
    resource_id: str | None = None,
    scan_unmanaged: bool = True,
    resource_ids: Collection[str] | None = None,
) -> Snapshot:
    """Read every selected resource part (and, unless resources are asked for by id or
    `scan_unmanaged` is off, each selected device's managed lists for unmanaged entries)."""
    with ctx.sessions() as session:
        resources = select_resources(ctx, session, device, resource_id, resource_ids)
        devices = {d.name: d for d in list_devices(session)}
    parts, missing = render_parts(ctx, resources, {n: d.platform for n, d in devices.items()})
    unknown = [_unknown_device(m) for m in missing]
    if device:
        parts = [p for p in parts if p.intended.device == device]
        unknown = []
    by_id = resource_id or resource_ids is not None
    selected = [] if by_id else [device] if device else list(devices)
    scopes = load_scopes(ctx.catalog) if scan_unmanaged and not by_id else {}
    scans = {
        n: scopes[devices[n].platform] for n in selected if n in devices and scopes.get(devices[n].platform)
    }
    if not parts and not scans:
        return Snapshot([], devices, [], unknown=unknown)
    intended = [p.intended for p in parts]
    wanted = sorted({w.device for w in intended} | set(scans))
    targets, unusable = [], {}  # a device whose credentials do not resolve is unreachable, not fatal
    for name in wanted:
        try:
            targets.append(ctx.target(devices[name]))
        except EXPECTED as exc:
            unusable[name] = str(exc)
    nr = make_nornir(targets, workers=ctx.settings.workers)
    try:
        actual: list[Any] = read_back(nr, intended) if intended else []
        replies = read_filters(nr, {n: [s.filter_xml() for s in lists] for n, lists in scans.items()})
    finally:
        nr.close_connections()
    actual = [unusable.get(w.device, have) for w, have in zip(intended, actual, strict=True)]
    replies = {name: unusable.get(name, reply) for name, reply in replies.items()}
    snap = Snapshot(parts, devices, actual, unknown=unknown)
    for name, reply in replies.items():
        if isinstance(reply, str):
            snap.unreachable[name] = reply
            continue
        payloads = [w.payload for w in intended if w.device == name and w.protocol != "gnmi"]
        for scope, data in zip(scans[name], reply, strict=True):
            snap.unmanaged.extend(find_unmanaged(name, scope, data, payloads))
    return snap


def compare_snapshot(
    ctx: Context, snap: Snapshot, mode: Mode = "full", record: bool = True
) -> list[ResourceDrift]:
    """Fingerprint check-sync, then the full compare where it is needed; in-sync fingerprints are
    recorded (`record`). One row per resource part, on the part's device."""
    with ctx.sessions() as session:
        known = fingerprints.fingerprints(session, [p.key for p in snap.parts])
    report: list[ResourceDrift] = list(snap.unknown)
    fresh: dict[str, tuple[str, str]] = {}
    rendered: dict[str, list[tuple[str, Intended]]] = {}

    def neighbours(device: str, key: str) -> list[Intended]:
        """The intents of the device's other resource parts (rendered once per device)."""
        if device not in rendered:
            rendered[device] = [(p.key, p.intended) for p in parts_on(ctx, [device])]
        return [w for k, w in rendered[device] if k != key and w.device == device]

    for part, have in zip(snap.parts, snap.actual, strict=True):
        r, want = part.resource, part.intended

        def row(found: tuple[Difference, ...], checked: str = "compare") -> ResourceDrift:
            return ResourceDrift(r.id, r.name, want.device, found, checked=checked, key=part.key)  # noqa: B023

        if isinstance(have, str):
            report.append(row((Difference("unreachable", "/", None, have),)))
            continue
        prints = intended_fingerprint(want), actual_fingerprint(have)
        stored = known.get(part.key)
        same = stored is not None and (stored.intended, stored.actual) == prints
        if mode != "compare-all" and same:
            report.append(row((), "fingerprint"))
            continue
        if mode == "check-sync":
            diff = (
                Difference("unknown", "/", None, "no fingerprint recorded yet")
                if stored is None
                else Difference("out-of-sync", "/", stored.actual[:12], prints[1][:12])
            )
            report.append(row((diff,), "fingerprint"))
            continue
        found = tuple(differences(want, have))
        if any(d.kind == "unexpected" for d in found):  # perhaps what other resources put in a shared entry
            [wider] = shared_view([want], neighbours(want.device, part.key))
            found = tuple(differences(wider, have))
        if not found and not same:
            fresh[part.key] = prints
        report.append(row(found))
    if record and fresh:
        with ctx.transaction() as session:
            fingerprints.record_many(session, fresh)
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
    resource_ids: Collection[str] | None = None,
) -> list[ResourceDrift]:
    """Compare every selected resource with its devices; one entry per resource part (per role
    device), plus one per unmanaged entry and per unreachable device without resources.
    `check-sync` compares fingerprints only and leaves unmanaged entries to the other modes."""
    try:
        snap = collect(
            ctx, device, resource_id, scan_unmanaged=mode != "check-sync", resource_ids=resource_ids
        )
    except EXPECTED:
        raise
    except etree.XMLSyntaxError as exc:
        raise RomError(f"a device sent malformed XML: {exc}") from None
    return compare_snapshot(ctx, snap, mode, record)
