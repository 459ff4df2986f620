"""What unfinished orders' adds will own, as rows written once at intake (`order_store.ClaimRow`):
a later intake looks up only the leaves and identities it wants, on its devices, instead of
planning every waiting order again. An order's rows are deleted when it ends (`rom.transitions`)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

from pydantic import ValidationError
from sqlalchemy import insert, select, tuple_
from sqlalchemy.orm import Session

from core.db import Prepared, numbered, numbered_in, table
from core.errors import EXPECTED
from core.order_states import TERMINAL_STATES
from core.tmf652 import ResourceOrderItemCreate
from intent.ownership import Claims, Owner, claims_of
from intent.planner import Intended, PlannedItem, plan_item
from inventory.context import Context
from inventory.ownership import Pending, identity_text, item_claims, pending_of
from inventory.records import list_devices
from rom.order_store import ClaimRow, OrderRow

IDENTITY, UNPLANNED = "identity", "unplanned"
_CHUNK = 200  # (device, path) keys per query


def claims_by_item(wants: Mapping[str, list[Intended]]) -> dict[str, list[Claims]]:
    """The leaves each item's intents set (pure: intake works them out before its locks)."""
    return {item_id: [claims_of(w) for w in ws] for item_id, ws in wants.items()}


def record(
    ctx: Context,
    session: Session,
    order_id: str,
    items: Sequence[PlannedItem],
    claimed: Mapping[str, list[Claims]],
    replanned: Sequence[tuple[Owner, PlannedItem]],
) -> None:
    """Write what an order's adds will own: their `claimed` leaves (`claims_by_item` at intake), or
    as `replanned` for the items intake's pools filled values into (planned again from the stored
    request)."""
    again = {item.item_id: (owner, item) for owner, item in replanned}
    rows: list[dict[str, Any]] = []
    for planned in items:
        if planned.action != "add":
            continue
        owner, item = again.get(planned.item_id, (Owner(order_id, planned.resource_name, "order"), planned))
        claims = item_claims(ctx, item) if planned.item_id in again else claimed.get(item.item_id, [])
        base = {"order_id": order_id, "item_id": item.item_id, "resource_name": owner.name}
        text = identity_text(item.spec, item.values)
        rows.append(
            {**base, "part": -1, "device": item.device, "family": IDENTITY, "path": text, "value": ""}
        )
        for part, c in enumerate(claims):
            on = {**base, "part": part, "device": c.device, "family": c.family}
            rows.extend({**on, "path": path, "value": value} for path, value in c.leaves.items())
    if rows:
        _ADD_CLAIMS.many(session, rows)


_ADD_CLAIMS = Prepared(  # `seq` numbered by the database
    insert(table(ClaimRow)),
    ["order_id", "item_id", "resource_name", "part", "device", "family", "path", "value"],
)


def pending(
    ctx: Context, session: Session, items: Sequence[PlannedItem], claimed: Mapping[str, list[Claims]]
) -> Pending:
    """What unfinished orders will own of the leaves `claimed` (only those held with another
    value: the same value is shared, never a conflict) and the identities of `items`' adds: the only
    claims that can conflict with them. Orders from before the claims table are planned here, as
    intake did before it."""
    values = {(c.device, p, v) for cs in claimed.values() for c in cs for p, v in c.leaves.items()}
    ids = {(i.device, identity_text(i.spec, i.values)) for i in items if i.action == "add"}
    keys = sorted({(d, p) for d, p, _ in values} | ids | {("", "")})  # ("", ""): older orders
    leaves: dict[tuple[str, str, int, str, str], tuple[Owner, dict[str, str]]] = {}
    identities: list[tuple[str, str, Owner]] = []
    unplanned: list[str] = []
    for row in _rows(session, keys, values):
        owner = Owner(row.order_id, row.resource_name, "order")
        if row.family == UNPLANNED:
            unplanned.append(row.order_id)
        elif row.family == IDENTITY:
            identities.append((row.device, row.path, owner))
        else:
            key = (row.order_id, row.item_id, row.part, row.device, row.family)
            leaves.setdefault(key, (owner, {}))[1][row.path] = row.value
    claims = [(owner, Claims(k[3], k[4], found)) for k, (owner, found) in leaves.items()]
    found = Pending(claims, identities)
    if not unplanned:
        return found
    old = pending_of(ctx, [a for order_id in unplanned for a in _stored_adds(ctx, session, order_id)])
    return Pending([*found.claims, *old.claims], [*found.identities, *old.identities])


class _Claim(NamedTuple):
    order_id: str
    item_id: str
    resource_name: str
    part: int
    device: str
    family: str
    path: str
    value: str
    seq: int


def _rows(
    session: Session, keys: Sequence[tuple[str, str]], same: Collection[tuple[str, str, str]]
) -> list[_Claim]:
    """Unfinished orders' rows at the (device, path) `keys`, but not those holding the `same` value,
    in the order they were written. Devices and paths are two IN lists, so that SQLite searches the
    (device, path) index (a row-value IN makes it scan the table); other pairs are dropped here."""
    devices = sorted({d for d, _ in keys})
    found: list[_Claim] = []
    for at in range(0, len(keys), _CHUNK):
        chunk = keys[at : at + _CHUNK]
        where = set(chunk)
        held = sorted(v for v in same if (v[0], v[1]) in where)
        (on, d), (among, p) = numbered("d", devices), numbered("p", sorted({p for _, p in chunk}))
        (kept, hd), (_, hp) = numbered("hd", [h[0] for h in held]), numbered("hp", [h[1] for h in held])
        params = _ENDED_PARAMS | d | p | hd | hp | numbered("hv", [h[2] for h in held])[1]
        rows = map(_Claim._make, _claims_at(on, among, kept).execute(session, params))
        found.extend(row for row in rows if (row.device, row.path) in where)
    return sorted(found, key=lambda row: row.seq)


_ENDED_SIZE, _ENDED_PARAMS = numbered("s", sorted(TERMINAL_STATES))


@lru_cache(maxsize=128)
def _claims_at(devices: int, paths: int, held: int) -> Prepared:
    """Claims at `devices` devices (`numbered` "d") and `paths` paths ("p") of unfinished orders
    (ended states "s"), but `held` (device, path, value) triples ("hd", "hp", "hv"); built and
    compiled once per size."""
    claims, orders = table(ClaimRow), table(OrderRow)
    query = (
        select(*(claims.c[name] for name in _Claim._fields))
        .join(orders, orders.c.id == claims.c.order_id)
        .where(
            claims.c.device.in_(numbered_in("d", devices)),
            claims.c.path.in_(numbered_in("p", paths)),
            orders.c.state.not_in(numbered_in("s", _ENDED_SIZE)),
        )
    )
    if held:
        parts = zip(numbered_in("hd", held), numbered_in("hp", held), numbered_in("hv", held), strict=True)
        triples = [tuple_(*triple) for triple in parts]
        query = query.where(tuple_(claims.c.device, claims.c.path, claims.c.value).not_in(triples))
    return Prepared(query)


def planned_adds(
    ctx: Context,
    order_id: str,
    request: Mapping[str, Any],
    platforms: Mapping[str, str],
    only: Collection[str] | None = None,
) -> list[tuple[Owner, PlannedItem]]:
    """An order's add items (those with ids in `only`, if given) as planned from its stored request
    (an add does not depend on the inventory); an item that does not plan is left out: it fails on
    its own. Only those items are validated (the request was, whole, at intake)."""
    out = []
    for raw in request.get("orderItem", []):
        if raw.get("action") != "add" or (only is not None and str(raw.get("id")) not in only):
            continue
        try:
            planned = plan_item(ResourceOrderItemCreate.model_validate(raw), ctx.catalog, platforms)
        except _UNPLANNED:
            continue
        out.append((Owner(order_id, planned.resource_name, "order"), planned))
    return out


_UNPLANNED: tuple[type[Exception], ...] = (ValidationError, *EXPECTED)


def _stored_adds(ctx: Context, session: Session, order_id: str) -> list[tuple[Owner, PlannedItem]]:
    row = session.get(OrderRow, order_id)
    if row is None:
        return []
    return planned_adds(ctx, order_id, row.request, {d.name: d.platform for d in list_devices(session)})
