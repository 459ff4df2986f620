"""One owner per device path, against the inventory: an order's adds and modifies may not repeat a
live resource or set a path another live resource owns to a different value (see
`intent.ownership`). Intake and the dry run call `check_owners` before anything is reserved."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from core.errors import Conflict
from intent.edits import changed_resources
from intent.ownership import Owner, identity, path_conflicts, where
from intent.planner import Intended, PlannedItem, intended_for
from inventory.context import Context
from inventory.intents import render_parts, select_resources
from inventory.store import list_devices, list_resources

SETTING = frozenset({"add", "modify"})


def check_owners(ctx: Context, session: Session, items: Sequence[PlannedItem]) -> None:
    """Raise Conflict (409) naming the owning resource (id and name) and the path when an add
    repeats a live resource's identity, or an add/modify would set a leaf another live resource
    (or an earlier item of the order) holds with a different value. The resources this order
    modifies or deletes own nothing here: the order rewrites them."""
    setting = [i for i in items if i.action in SETTING]
    if not setting:
        return
    _check_repeats(ctx, session, setting)
    skip = changed_resources(items)
    devices = sorted({t.device for i in setting for t in i.targets} | {i.device for i in setting})
    rows = {r.id: r for d in devices for r in select_resources(ctx, session, device=d) if r.id not in skip}
    known = {d.name: d for d in list_devices(session)}
    parts, _ = render_parts(ctx, list(rows.values()), known)
    owned: list[tuple[Owner, Intended]] = [(Owner(p.resource.id, p.resource.name), p.intended) for p in parts]
    for item in setting:
        wants = intended_for(ctx.catalog, item)
        found = path_conflicts(wants, owned)
        if found:
            more = f" (and {len(found) - 1} more path(s))" if len(found) > 1 else ""
            raise Conflict(f"orderItem {item.item_id}: {found[0].message()}{more}")
        owned.extend((Owner(item.item_id, item.resource_name, "orderItem"), w) for w in wants)


def _check_repeats(ctx: Context, session: Session, items: Sequence[PlannedItem]) -> None:
    adds = [i for i in items if i.action == "add"]
    seen: dict[tuple[str, str, tuple[tuple[str, str], ...]], Owner] = {}
    for spec_id, device in sorted({(i.spec.id, i.device) for i in adds}):
        spec = next(i.spec for i in adds if i.spec.id == spec_id)
        for r in list_resources(session, device=device, spec_ids=[spec_id]):
            seen.setdefault((device, *identity(spec, r.characteristics or {})), Owner(r.id, r.name))
    for item in adds:
        key = (item.device, *identity(item.spec, item.values))
        owner = seen.get(key)
        if owner is not None:
            hint = (
                "modify or delete that resource instead"
                if owner.kind == "resource"
                else "an order may create a resource once"
            )
            raise Conflict(
                f"orderItem {item.item_id}: repeats {owner}, which already owns "
                f"{_first_path(ctx, item)}; {hint} "
                "(an order resubmitted with the same externalId is replayed)"
            )
        seen[key] = Owner(item.item_id, item.resource_name, "orderItem")


def _first_path(ctx: Context, item: PlannedItem) -> str:
    for want in intended_for(ctx.catalog, item):
        path = where(want)
        if path:
            return f"{path} on {want.device}"
    return f"its configuration on {item.device}"
