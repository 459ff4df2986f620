"""One owner per device path, against the inventory: an order's adds and modifies may not repeat a
live resource or set a path another live resource owns to a different value (see
`intent.ownership`). Intake and the dry run call `check_owners` before anything is reserved."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache, partial
from typing import Any, NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.db import Prepared, numbered, numbered_in, table
from core.errors import EXPECTED, Conflict
from intent.catalog import Catalog, ResourceSpec
from intent.edits import changed_resources
from intent.ownership import (
    Claims,
    Disagreement,
    Owner,
    claim_conflicts,
    claims_of,
    disagreements,
    identity,
    path_conflicts,
    where,
)
from intent.planner import Intended, PlannedItem, intended_for
from inventory.context import Context
from inventory.intents import render_parts, resources_on, role_devices, select_resources
from inventory.records import Device, Resource, ResourceRow, device_platforms, list_resources

SETTING = frozenset({"add", "modify"})
log = logging.getLogger(__name__)


def lock_devices(session: Session, devices: Collection[str]) -> None:
    """Hold the devices' rows until the caller's transaction ends, so that intakes touching one
    device check ownership one after the other: PostgreSQL `SELECT … FOR UPDATE` in name order;
    SQLite a no-op UPDATE, which takes the database's write lock now (its reads would otherwise
    run before either intake writes)."""
    if not devices:
        return
    size, params = numbered("n", sorted(devices))
    _lock_statement(size, session.get_bind().dialect.name == "sqlite").execute(session, params)


@lru_cache(maxsize=64)
def _lock_statement(size: int, sqlite: bool) -> Prepared:
    """For `size` device names (`numbered` "n"): built and compiled once each."""
    devices = table(Device)
    wanted = devices.c.name.in_(numbered_in("n", size))
    if sqlite:
        return Prepared(update(devices).where(wanted).values(name=devices.c.name))
    return Prepared(select(devices.c.name).where(wanted).order_by(devices.c.name).with_for_update())


def own_intents(ctx: Context, items: Sequence[PlannedItem]) -> dict[str, list[Intended]]:
    """What each add/modify item of an order renders to (pure: no database), so that intake can
    render before it takes its device locks and pass the result to `check_owners`."""
    return {i.item_id: _rendered(partial(intended_for, ctx.catalog, i)) for i in items if i.action in SETTING}


def check_owners(
    ctx: Context,
    session: Session,
    items: Sequence[PlannedItem],
    pending: Pending | None = None,
    rendered: Mapping[str, list[Intended]] | None = None,
    claimed: Mapping[str, list[Claims]] | None = None,
) -> None:
    """Raise Conflict (409) naming the owning resource (id and name) and the path when an add
    repeats a live resource's identity, or an add/modify would set a leaf another live resource
    (or an earlier item of the order) holds with a different value. The resources this order
    modifies or deletes own nothing here: the order rewrites them. `pending`: what the adds of
    orders not finished yet will own (the caller knows orders). `rendered`: the items' intents from
    `own_intents`, when the caller rendered them already; `claimed`: their claims (`claims_of`
    each), when the caller worked them out already."""
    setting = [i for i in items if i.action in SETTING]
    if not setting:
        return
    skip = changed_resources(items)
    pending = pending or Pending()
    devices = sorted({t.device for i in setting for t in i.targets} | {i.device for i in setting})
    rows = [r for r in resources_on(ctx, session, devices) if r.id not in skip]
    _check_repeats(ctx, rows, setting, pending)  # the adds' devices are among `devices`
    known = device_platforms(session) if rows else {}
    owned: list[tuple[Owner, Claims]] = []
    for row in rows:
        owned.extend(_owned(ctx, row, known))
    owned.extend(pending.claims)
    for item in setting:
        if claimed is not None and item.item_id in claimed:
            wants = claimed[item.item_id]
        else:  # a failure to render fails the order later
            wants = [claims_of(w) for w in (rendered or own_intents(ctx, [item]))[item.item_id]]
        found = claim_conflicts(wants, owned)
        if found:
            more = f" (and {len(found) - 1} more path(s))" if len(found) > 1 else ""
            raise Conflict(f"orderItem {item.item_id}: {found[0].message()}{more}")
        owned.extend((Owner(item.item_id, item.resource_name, "orderItem"), c) for c in wants)


class _Rendered(NamedTuple):
    """A live resource's claims (with itself as their owner) as rendered with `catalog`, its roles
    on `devices` whose platforms were `platforms` (None: not in the inventory)."""

    catalog: Catalog
    devices: tuple[str, ...]
    platforms: tuple[str | None, ...]
    owned: list[tuple[Owner, Claims]]


# (resource id, last update) -> what depends on the resource only: a resource changes only with
# its `updated` (a modify, a TMF639 PATCH). Its claims stand while the catalog and its roles'
# platforms do; its identity text while the spec does.
_CLAIMS: dict[tuple[str, datetime], _Rendered] = {}
_IDENTITIES: dict[tuple[str, datetime], tuple[ResourceSpec, str]] = {}
_CACHE_SIZE = 100_000


@dataclass(frozen=True)
class Pending:
    """What the adds of orders not finished yet will own: the leaves they will set, and their
    identities as (device, `identity_text`, owner). The callers may pass only the leaves and
    identities the order at hand wants (the others cannot conflict)."""

    claims: Sequence[tuple[Owner, Claims]] = ()
    identities: Sequence[tuple[str, str, Owner]] = ()


def pending_of(ctx: Context, adds: Sequence[tuple[Owner, PlannedItem]]) -> Pending:
    """`Pending` from unfinished orders' add items as planned."""
    claims = [(owner, c) for owner, item in adds for c in item_claims(ctx, item)]
    return Pending(claims, [(i.device, identity_text(i.spec, i.values), o) for o, i in adds])


def item_claims(ctx: Context, item: PlannedItem) -> list[Claims]:
    """The claims of an add or modify item, one per intent (none when it does not render)."""
    return [claims_of(w) for w in _rendered(partial(intended_for, ctx.catalog, item))]


def identity_text(spec: ResourceSpec, values: Mapping[str, Any]) -> str:
    """`identity` as one string (stored with an unfinished order's claims)."""
    return json.dumps(identity(spec, values))


def _owned(ctx: Context, row: ResourceRow, known: Mapping[str, str]) -> list[tuple[Owner, Claims]]:
    """The claims of a live resource's parts, each with the resource as its owner; a part that
    does not render owns nothing here (drift reports it)."""
    key = (row.id, row.updated) if row.updated is not None else None
    hit = _CLAIMS.get(key) if key is not None else None
    if hit is not None and hit.catalog is ctx.catalog and tuple(map(known.get, hit.devices)) == hit.platforms:
        return hit.owned
    owner = Owner(row.id, row.name)
    owned = [(owner, claims_of(w)) for w in _rendered(partial(_parts, ctx, row, known))]
    if key is not None:
        devices = _role_devices(ctx, row)
        _remember(_CLAIMS, key, _Rendered(ctx.catalog, devices, tuple(map(known.get, devices)), owned))
    return owned


def _role_devices(ctx: Context, row: ResourceRow) -> tuple[str, ...]:
    try:
        return role_devices(ctx.catalog.get(row.spec_id), row)
    except EXPECTED:  # not rendered either
        return ()


def _identity_of(spec: ResourceSpec, row: ResourceRow) -> str:
    """`identity_text` of a live resource of `spec`."""
    key = (row.id, row.updated) if row.updated is not None else None
    hit = _IDENTITIES.get(key) if key is not None else None
    if hit is not None and hit[0] is spec:
        return hit[1]
    text = identity_text(spec, row.characteristics or {})
    if key is not None:
        _remember(_IDENTITIES, key, (spec, text))
    return text


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> None:
    if len(cache) >= _CACHE_SIZE:
        cache.clear()
    cache[key] = value


def _check_repeats(
    ctx: Context, rows: Sequence[ResourceRow], items: Sequence[PlannedItem], pending: Pending
) -> None:
    """`rows`: the live resources on the items' devices (oldest first), less those the order
    modifies or deletes (a delete and an add re-create a resource)."""
    adds = [i for i in items if i.action == "add"]
    specs = {i.spec.id: i.spec for i in adds}
    wanted = {(i.spec.id, i.device) for i in adds}
    seen: dict[tuple[str, str], Owner] = {}
    for r in rows:
        if (r.spec_id, r.device) in wanted:
            key = (r.device, _identity_of(specs[r.spec_id], r))
            if key not in seen:  # the oldest
                seen[key] = Owner(r.id, r.name)
    for device, text, holder in pending.identities:
        seen.setdefault((device, text), holder)
    for item in adds:
        key = (item.device, identity_text(item.spec, item.values))
        owner = seen.get(key)
        if owner is not None:
            hint = {
                "resource": "modify or delete that resource instead",
                "order": "wait for that order, or cancel it",
            }.get(owner.kind, "an order may create a resource once")
            raise Conflict(
                f"orderItem {item.item_id}: repeats {owner}, which already owns "
                f"{_first_path(ctx, item)}; {hint} "
                "(an order resubmitted with the same externalId is replayed)"
            )
        seen[key] = Owner(item.item_id, item.resource_name, "orderItem")


def _parts(ctx: Context, row: ResourceRow, known: Mapping[str, str]) -> list[Intended]:
    return [p.intended for p in render_parts(ctx, [row], known)[0]]


def _rendered(render: Callable[[], list[Intended]]) -> list[Intended]:
    """What `render` gives, or nothing when a template cannot render these values."""
    try:
        return render()
    except EXPECTED as exc:
        log.debug("ownership check skips an intent that does not render: %s", exc)
        return []


def _first_path(ctx: Context, item: PlannedItem) -> str:
    for want in _rendered(partial(intended_for, ctx.catalog, item)):
        path = where(want)
        if path:
            return f"{path} on {want.device}"
    return f"its configuration on {item.device}"


@dataclass(frozen=True)
class OwnerProblems:
    """What the live inventory already holds against one owner per path."""

    repeats: list[tuple[Owner, ...]]  # resources with one identity on one device
    disagreements: list[Disagreement]

    def lines(self) -> list[str]:
        out = [f"{', '.join(str(o) for o in group)} repeat one resource" for group in self.repeats]
        return out + [d.message() for d in self.disagreements]


def owner_problems(ctx: Context, session: Session, device: str | None = None) -> OwnerProblems:
    """Repeated resources and leaves live resources want with different values (e.g. resources made
    before intake refused them): the ones to delete or modify so remediation can converge."""
    known = device_platforms(session)
    names = [device] if device else sorted(known)
    rows = {r.id: r for n in names for r in select_resources(ctx, session, device=n)}
    groups: dict[tuple[str, str, tuple[tuple[str, str], ...]], list[Owner]] = {}
    owned: list[tuple[Owner, Claims]] = []
    for row in rows.values():
        owner = Owner(row.id, row.name)
        try:
            spec = ctx.catalog.get(row.spec_id)
        except EXPECTED:
            continue
        groups.setdefault((row.device, *identity(spec, row.characteristics or {})), []).append(owner)
        owned.extend(_owned(ctx, row, known))
    repeats = [tuple(g) for _, g in sorted(groups.items()) if len(g) > 1]
    return OwnerProblems(repeats, disagreements(owned))


def check_resource_owners(ctx: Context, session: Session, row: Resource) -> None:
    """A TMF639 create, as intake checks an order's add: Conflict (409) naming the owner when `row`
    repeats a live resource's identity, or its configuration would set a path another live resource
    holds with a different value. (The adds of unfinished orders are the order layer's to know: they
    are not seen here.)"""
    spec = ctx.catalog.get(row.spec_id)
    key = identity(spec, row.characteristics or {})
    known = device_platforms(session)
    wants = _rendered(partial(_parts, ctx, ResourceRow.of(row), known))
    devices = sorted({w.device for w in wants} | {row.device})
    lock_devices(session, devices)
    for other in list_resources(session, device=row.device, spec_ids=[row.spec_id]):
        if other.id != row.id and identity(spec, other.characteristics or {}) == key:
            raise Conflict(
                f"resource {row.name!r} repeats {Owner(other.id, other.name)}; "
                "modify or delete that resource instead"
            )
    rows = {r.id: r for d in devices for r in select_resources(ctx, session, device=d) if r.id != row.id}
    owned = [pair for r in rows.values() for pair in _owned(ctx, r, known)]
    found = path_conflicts(wants, owned)
    if found:
        more = f" (and {len(found) - 1} more path(s))" if len(found) > 1 else ""
        raise Conflict(f"resource {row.name!r}: {found[0].message().replace('this item', 'it')}{more}")
