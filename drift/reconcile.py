"""Reconciliation: intended state from inventory versus what the devices hold.

A resource has one part per role (a slice-core resource: its UPF part and its SMF part), each
rendered, read, compared and reported on its own device. Check-sync first: each part's read-back
is hashed (`drift.fingerprint`) and compared with the fingerprint recorded when it was last
found in sync; only parts whose fingerprint (or intent) changed get the full compare. Devices are
read in parallel, one Nornir task each.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from lxml import etree
from sqlalchemy.orm import Session

from core.errors import EXPECTED, RomError
from drift.fingerprint import actual_fingerprint, intended_fingerprint
from drift.unmanaged import Unmanaged, find_unmanaged, load_scopes
from drivers.config_reads import read_filters
from drivers.nornir_plugins import make_nornir
from intent.catalog import Catalog, ResourceSpec
from intent.planner import Intended, PlannedItem, RoleTarget, intended_for
from intent.readback import differences, read_back, shared_view
from intent.tree import Difference
from inventory import fingerprints as drift_store
from inventory.context import Context
from inventory.store import Device, Resource, list_devices, list_resources

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


@dataclass(frozen=True)
class Part:
    """One role of a resource, rendered for that role's device (a single-role resource has one)."""

    resource: Resource
    intended: Intended
    key: str  # fingerprint key: the resource id; `<id>:<role>` for a multi-role spec's later roles


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


def render_parts(
    ctx: Context, resources: Sequence[Resource], devices: dict[str, Device]
) -> tuple[list[Part], list[ResourceDrift]]:
    """Every role of every resource rendered for its device by `intent.planner.intended_for` (the
    first role on `resource.device`), and an unreachable row per role whose device is unknown."""
    parts: list[Part] = []
    unknown: list[ResourceDrift] = []
    for r in resources:
        spec = ctx.catalog.get(r.spec_id)
        targets: list[tuple[RoleTarget, str]] = []
        for n, (role, rule) in enumerate(spec.roles.items()):
            name = r.device if n == 0 else str(r.characteristics.get(rule.device_characteristic, ""))
            key = r.id if n == 0 else f"{r.id}:{role}"
            if name in devices:
                targets.append((RoleTarget(role, name, devices[name].platform), key))
                continue
            error = Difference(
                "unreachable", "/", None, f"role {role}: device {name!r} is not in the inventory"
            )
            unknown.append(ResourceDrift(r.id, r.name, name, (error,), key=key))
        wants = render_roles(ctx.catalog, spec, [t for t, _ in targets], r.characteristics) if targets else []
        parts.extend(Part(r, want, key) for want, (_, key) in zip(wants, targets, strict=True))
    return parts, unknown


def render_roles(
    catalog: Catalog, spec: ResourceSpec, targets: Sequence[RoleTarget], values: Mapping[str, Any]
) -> list[Intended]:
    """`intent.planner.intended_for` for an inventory resource's values: each role on its device."""
    first = targets[0]
    item = PlannedItem("", "noChange", spec, first.device, first.platform, dict(values), "", tuple(targets))
    return intended_for(catalog, item)


def render(ctx: Context, resources: Sequence[Resource], devices: dict[str, Device]) -> list[Intended]:
    """Every role of every resource, each for its device (see `render_parts`)."""
    return [p.intended for p in render_parts(ctx, resources, devices)[0]]


def other_intents(ctx: Context, devices: list[str], skip: Collection[str]) -> list[Intended]:
    """The intents of the inventory resources with a part on `devices`, but those in `skip`."""
    if not devices:
        return []
    with ctx.sessions() as session:
        rows = {r.id: r for name in devices for r in select_resources(ctx, session, device=name)}
        known = {d.name: d for d in list_devices(session)}  # a multi-role resource's other devices too
    return render(ctx, [r for rid, r in rows.items() if rid not in skip], known)


def select_resources(
    ctx: Context,
    session: Session,
    device: str | None = None,
    resource_id: str | None = None,
    resource_ids: Collection[str] | None = None,
) -> list[Resource]:
    """The resources with a part on `device` (recorded there, or a multi-role resource with a role
    there), or the ones asked for by id, or all."""
    if resource_ids is not None:
        return list_resources(session, ids=sorted(resource_ids))
    if resource_id or not device:
        return list_resources(session, resource_id=resource_id)
    multi = {spec.id: spec for spec in ctx.catalog if len(spec.roles) > 1}
    found = {r.id: r for r in list_resources(session, device=device)}
    for r in list_resources(session, spec_ids=sorted(multi)) if multi else []:
        chars = [rule.device_characteristic for rule in multi[r.spec_id].roles.values()]
        if any(r.characteristics.get(c) == device for c in chars):
            found.setdefault(r.id, r)
    return list(found.values())


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
    parts, unknown = render_parts(ctx, resources, devices)
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


def judge(ctx: Context, snap: Snapshot, mode: Mode = "full", record: bool = True) -> list[ResourceDrift]:
    """Fingerprint check-sync, then the full compare where it is needed; in-sync fingerprints are
    recorded (`record`). One row per resource part, on the part's device."""
    with ctx.sessions() as session:
        known = drift_store.fingerprints(session, [p.key for p in snap.parts])
    report: list[ResourceDrift] = list(snap.unknown)
    fresh: dict[str, tuple[str, str]] = {}
    rendered: dict[str, list[tuple[str, Intended]]] = {}

    def neighbours(device: str, key: str) -> list[Intended]:
        """The intents of the device's other resource parts (rendered once per device)."""
        if device not in rendered:
            with ctx.sessions() as session:
                rows = select_resources(ctx, session, device=device)
                known = {d.name: d for d in list_devices(session)}
            rendered[device] = [(p.key, p.intended) for p in render_parts(ctx, rows, known)[0]]
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
            for key, (intended, actual) in fresh.items():
                drift_store.record(session, key, intended, actual)
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
    return judge(ctx, snap, mode, record)
