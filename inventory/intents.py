"""The intent of inventory resources: each role of a resource rendered for its device, as the
order path (the neighbours an order must keep) and drift (what a device should hold) need it."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from core.db import Prepared, numbered, numbered_in, table
from core.text import loads
from intent.catalog import ResourceSpec
from intent.planner import Intended, RoleTarget, render_roles
from inventory.context import Context
from inventory.records import Resource, ResourceRow, device_platforms, resource_rows


@dataclass(frozen=True)
class Part:
    """One role of a resource, rendered for that role's device (a single-role resource has one)."""

    resource: ResourceRow
    intended: Intended
    key: str  # fingerprint key (`part_key`)


@dataclass(frozen=True)
class MissingDevice:
    """A role of a resource whose device is not in the inventory."""

    resource: ResourceRow
    role: str
    device: str
    key: str


def part_key(resource_id: str, role_index: int, role: str) -> str:
    """Where a part's fingerprint is kept: the resource id; `<id>:<role>` for later roles."""
    return resource_id if role_index == 0 else f"{resource_id}:{role}"


def render_parts(
    ctx: Context, resources: Sequence[ResourceRow], platforms: Mapping[str, str]
) -> tuple[list[Part], list[MissingDevice]]:
    """Every role of every resource rendered for its device by `intent.planner.intended_for` (the
    first role on `resource.device`), and each role whose device is unknown (`platforms`: each
    known device's platform by name)."""
    parts: list[Part] = []
    missing: list[MissingDevice] = []
    for r in resources:
        spec = ctx.catalog.get(r.spec_id)
        targets: list[tuple[RoleTarget, str]] = []
        for n, (role, name) in enumerate(zip(spec.roles, role_devices(spec, r), strict=True)):
            key = part_key(r.id, n, role)
            if name in platforms:
                targets.append((RoleTarget(role, name, platforms[name]), key))
            else:
                missing.append(MissingDevice(r, role, name, key))
        wants = render_roles(ctx.catalog, spec, [t for t, _ in targets], r.characteristics) if targets else []
        parts.extend(Part(r, want, key) for want, (_, key) in zip(wants, targets, strict=True))
    return parts, missing


def role_devices(spec: ResourceSpec, resource: ResourceRow) -> tuple[str, ...]:
    """The device of each role of `resource`, in the spec's order: the first role on
    `resource.device`, the others where their device characteristic names ("": none)."""
    chars = resource.characteristics
    return tuple(
        resource.device if n == 0 else str(chars.get(rule.device_characteristic, ""))
        for n, rule in enumerate(spec.roles.values())
    )


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
) -> list[ResourceRow]:
    """The resources with a part on `device` (recorded there, or a multi-role resource with a role
    there), or the ones asked for by id, or all."""
    if resource_ids is not None:
        return resource_rows(session, ids=sorted(resource_ids))
    if resource_id or not device:
        return resource_rows(session, resource_id=resource_id)
    return resources_on(ctx, session, [device])


def resources_on(ctx: Context, session: Session, devices: Collection[str]) -> list[ResourceRow]:
    """The resources with a part on any of `devices`, each once, in one query whatever their number.
    The rows are shared with other calls (`_decoded`): read them, never change them."""
    wanted = set(devices)
    if not wanted:
        return []
    multi = {spec.id: spec for spec in ctx.catalog if len(spec.roles) > 1}
    (on_size, on), (of_size, of) = numbered("d", sorted(wanted)), numbered("s", sorted(multi))
    here, there = [], []  # on the devices, then multi-role ones with a role there: each oldest first
    for r in map(_decoded, _on_devices_or_of_specs(on_size, of_size).execute(session, on | of)):
        if r.device in wanted:
            here.append(r)
        elif r.spec_id in multi:
            chars = [rule.device_characteristic for rule in multi[r.spec_id].roles.values()]
            if any(r.characteristics.get(c) in wanted for c in chars):
                there.append(r)
    return here + there


# a row as read (characteristics as their stored JSON text) -> it decoded: the order path reads the
# same resources again and again, and decoding their characteristics cost more than reading them
_DECODED: dict[tuple[Any, ...], ResourceRow] = {}
_DECODED_SIZE = 20_000  # rows (characteristics text and dict: ~1-2 kB each)


def _decoded(raw: tuple[Any, ...]) -> ResourceRow:
    row = _DECODED.get(raw)
    if row is None:
        resource_id, name, spec_id, device, characteristics, updated = raw
        row = ResourceRow(resource_id, name, spec_id, device, loads(characteristics), updated)
        if len(_DECODED) >= _DECODED_SIZE:
            _DECODED.clear()
        _DECODED[raw] = row
    return row


@lru_cache(maxsize=64)
def _on_devices_or_of_specs(devices: int, specs: int) -> Prepared:
    """Resources on `devices` devices (`numbered` "d") or of `specs` specifications ("s"), oldest
    first, characteristics as text (`_decoded`): one query, not two (each costs even when empty);
    built and compiled once per size."""
    columns = table(Resource).c
    text = cast(columns.characteristics, Text).label("characteristics")
    query = select(*(text if name == "characteristics" else columns[name] for name in ResourceRow._fields))
    on = columns.device.in_(numbered_in("d", devices))
    where = on | columns.spec_id.in_(numbered_in("s", specs)) if specs else on
    return Prepared(query.where(where).order_by(columns.created, columns.id))  # as `RESOURCE_ROW`
