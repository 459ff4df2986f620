"""The intent of inventory resources: each role of a resource rendered for its device, as the
order path (the neighbours an order must keep) and drift (what a device should hold) need it."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from intent.planner import Intended, RoleTarget, render_roles
from inventory.context import Context
from inventory.records import Resource, device_platforms, list_resources


@dataclass(frozen=True)
class Part:
    """One role of a resource, rendered for that role's device (a single-role resource has one)."""

    resource: Resource
    intended: Intended
    key: str  # fingerprint key (`part_key`)


@dataclass(frozen=True)
class MissingDevice:
    """A role of a resource whose device is not in the inventory."""

    resource: Resource
    role: str
    device: str
    key: str


def part_key(resource_id: str, role_index: int, role: str) -> str:
    """Where a part's fingerprint is kept: the resource id; `<id>:<role>` for later roles."""
    return resource_id if role_index == 0 else f"{resource_id}:{role}"


def render_parts(
    ctx: Context, resources: Sequence[Resource], platforms: Mapping[str, str]
) -> tuple[list[Part], list[MissingDevice]]:
    """Every role of every resource rendered for its device by `intent.planner.intended_for` (the
    first role on `resource.device`), and each role whose device is unknown (`platforms`: each
    known device's platform by name)."""
    parts: list[Part] = []
    missing: list[MissingDevice] = []
    for r in resources:
        spec = ctx.catalog.get(r.spec_id)
        targets: list[tuple[RoleTarget, str]] = []
        for n, (role, rule) in enumerate(spec.roles.items()):
            name = r.device if n == 0 else str(r.characteristics.get(rule.device_characteristic, ""))
            key = part_key(r.id, n, role)
            if name in platforms:
                targets.append((RoleTarget(role, name, platforms[name]), key))
            else:
                missing.append(MissingDevice(r, role, name, key))
        wants = render_roles(ctx.catalog, spec, [t for t, _ in targets], r.characteristics) if targets else []
        parts.extend(Part(r, want, key) for want, (_, key) in zip(wants, targets, strict=True))
    return parts, missing


def parts_on(ctx: Context, devices: Collection[str], skip: Collection[str] = ()) -> list[Part]:
    """Every part of the inventory resources with a part on `devices` (each rendered for its own
    device), but the resources in `skip`."""
    if not devices:
        return []
    with ctx.sessions() as session:
        rows = {r.id: r for name in sorted(devices) for r in select_resources(ctx, session, device=name)}
        known = device_platforms(session)  # a multi-role resource's other devices too
    return render_parts(ctx, [r for rid, r in rows.items() if rid not in skip], known)[0]


def other_intents(ctx: Context, devices: list[str], skip: Collection[str]) -> list[Intended]:
    """The intents of the inventory resources with a part on `devices`, but those in `skip`."""
    return [p.intended for p in parts_on(ctx, devices, skip)]


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
    return resources_on(ctx, session, [device])


def resources_on(ctx: Context, session: Session, devices: Collection[str]) -> list[Resource]:
    """The resources with a part on any of `devices`, each once: two queries whatever their number."""
    wanted = set(devices)
    multi = {spec.id: spec for spec in ctx.catalog if len(spec.roles) > 1}
    on, of = [], []  # on the devices, then multi-role ones with a role there: each oldest first
    for r in session.scalars(_ON_DEVICES_OR_OF_SPECS, {"devices": sorted(wanted), "specs": sorted(multi)}):
        if r.device in wanted:
            on.append(r)
        elif r.spec_id in multi:
            chars = [rule.device_characteristic for rule in multi[r.spec_id].roles.values()]
            if any(r.characteristics.get(c) in wanted for c in chars):
                of.append(r)
    return on + of


# built once (SQLAlchemy reuses their compiled form), oldest first as `list_resources`
_OLDEST_FIRST = select(Resource).order_by(Resource.created, Resource.id)
_ON_DEVICES_OR_OF_SPECS = _OLDEST_FIRST.where(  # one query, not two: each costs even when empty
    Resource.device.in_(bindparam("devices", expanding=True))
    | Resource.spec_id.in_(bindparam("specs", expanding=True))
)
