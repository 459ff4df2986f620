"""Resource pools and reservations: what a resource specification's characteristics draw from.

A spec declares `reservations:` (see `ReservationRule`), e.g.

    reservations:
      - {pool: vlan, characteristic: vlanId, scope: [device, interface], allocate: true}
      - {pool: bandwidth, characteristic: bandwidthMbps, scope: [device, interface]}

Discrete pools (`range`, `prefix`, `asn-number`) hand out values, each at most once per scope
(unless `shareBy` lets holders with the same value of that characteristic share it, as endpoints
of one VRF share its route distinguisher); `allocate: true` picks the lowest free value when the
characteristic is omitted. `capacity` pools hand out amounts (the characteristic's value) until
the scope's capacity is used up; `setsCapacity: <characteristic>` makes an item that sets that
characteristic (a UPF's `upfMaxSessions`) set its scope's capacity too, refused if less is already
reserved there. Explicit values are reserved as given: a pool's range only bounds
what it allocates. Conflicts raise `Conflict` (TMF 409) before anything is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from core.db import Prepared, table
from core.errors import Conflict, InvalidRequest
from intent.catalog import ReservationRule, ResourceSpec
from inventory.pool_defs import DEFAULT_POOLS, Pool, define_pool, get_pool, get_pools
from inventory.pool_store import (
    ClaimRow,
    CounterRow,
    ReservationRow,
    insert_ignore,
    insert_ignore_many,
    utcnow,
)

__all__ = [
    "DEFAULT_POOLS",
    "Holder",
    "Pool",
    "ReservationRule",
    "Reserving",
    "define_pool",
    "get_pool",
    "reserve",
]
ALLOCATION_TRIES = 256


@dataclass(frozen=True)
class Holder:
    """Who reserves: an order item (at intake) or a resource (TMF639 create/patch)."""

    order_id: str = ""
    order_item_id: str = ""
    resource_id: str = ""

    @property
    def token(self) -> str:
        return (
            f"resource:{self.resource_id}"
            if self.resource_id
            else f"order:{self.order_id}/{self.order_item_id}"
        )


def describe(row: ReservationRow | None) -> str:
    if row is None:
        return "another holder"
    if row.resource_id:
        return f"resource {row.resource_id}"
    return f"resourceOrder {row.order_id} item {row.order_item_id}"


class Reserving:
    """One transaction's reservations on their way to the database: each pool definition read once,
    an item's explicit values claimed together (one INSERT ... ON CONFLICT DO NOTHING for all of
    them), and the reservation rows written together at the end (`write`).

    Refusals come in the order the values were asked for: `settle` runs before anything else that
    reads or writes the pools, so a value claimed later never decides what an earlier one meets."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._pools: dict[str, Pool] = {}
        self._claims: list[_Wanted] = []  # explicit values not claimed yet
        self._rows: list[dict[str, Any]] = []  # reservations not written yet

    def read(self, names: Collection[str]) -> None:
        """Read the pools of these names not read yet (one query)."""
        missing = [n for n in names if n not in self._pools]
        if missing:
            self._pools.update(get_pools(self.session, missing))

    def pool(self, name: str) -> Pool:
        found = self._pools.get(name)
        if found is None:
            found = self._pools[name] = get_pool(self.session, name)  # InvalidRequest: unknown
        return found

    def redefined(self, pool: Pool) -> None:
        self._pools[pool.name] = pool

    def claim(self, pool: Pool, scope: str, value: str, tag: str, rule: ReservationRule) -> None:
        self._claims.append(_Wanted(pool.name, scope, value, tag, rule.characteristic))

    def row(self, pool: Pool, scope: str, value: str, amount: int, rule: ReservationRule, h: Holder) -> None:
        self._rows.append(
            {
                "id": str(uuid.uuid4()),
                "pool": pool.name,
                "scope": scope,
                "value": value,
                "amount": amount,
                "characteristic": rule.characteristic,
                "order_id": h.order_id,
                "order_item_id": h.order_item_id,
                "resource_id": h.resource_id,
                "created": utcnow(),
            }
        )

    def settle(self) -> None:
        """Claim the values asked for so far; Conflict for the first one another holder has."""
        wanted, self._claims = self._claims, []
        if not wanted:
            return
        taken = insert_ignore_many(self.session, ClaimRow, [w.claim_row() for w in sorted(wanted)])
        for w in wanted:
            if (w.pool, w.scope, w.value) in taken:
                taken.discard((w.pool, w.scope, w.value))  # a second ask for it is a share
            elif not _share(self.session, w.pool, w.scope, w.value, w.tag):
                raise Conflict(
                    f"{w.characteristic} {w.value} already reserved on {w.scope} (pool {w.pool}) "
                    f"by {self._holder(w)}"
                )

    def write(self) -> None:
        """Settle, then write every reservation row (one statement)."""
        self.settle()
        rows, self._rows = self._rows, []
        if rows:
            _ADD_RESERVATIONS.many(self.session, rows)

    def _holder(self, w: _Wanted) -> str:
        r = ReservationRow
        row = self.session.scalar(
            select(r).where(r.pool == w.pool, r.scope == w.scope, r.value == w.value).limit(1)
        )
        if row is not None:
            return describe(row)
        mine = [r for r in self._rows if (r["pool"], r["scope"], r["value"]) == (w.pool, w.scope, w.value)]
        return describe(ReservationRow(**mine[0])) if mine else describe(None)


@dataclass(frozen=True, order=True)
class _Wanted:
    pool: str
    scope: str
    value: str
    tag: str
    characteristic: str

    def claim_row(self) -> dict[str, Any]:
        return {"pool": self.pool, "scope": self.scope, "value": self.value, "tag": self.tag, "refs": 1}


def reserve(
    session: Session,
    spec: ResourceSpec,
    values: Mapping[str, Any],
    holder: Holder,
    before: Mapping[str, Any] | None = None,
    batch: Reserving | None = None,
) -> dict[str, Any]:
    """Reserve what `values` draw from the spec's pools; returns the allocated characteristics.

    `before`: a modify's current values. Its resource keeps what it holds, so only the increase of
    a capacity amount is taken (a modify may not change pooled values or scopes: the planner checks).
    `batch`: the caller's `Reserving`, which writes the reservation rows at its `write`; without
    one, they are written here.
    """
    mine = batch or Reserving(session)
    try:
        allocated = _reserve(mine, spec, values, holder, before)
        mine.settle()
    except (Conflict, InvalidRequest):
        mine.settle()  # a refused earlier value is the first error
        raise
    if batch is None:
        mine.write()
    return allocated


def _reserve(
    batch: Reserving,
    spec: ResourceSpec,
    values: Mapping[str, Any],
    holder: Holder,
    before: Mapping[str, Any] | None,
) -> dict[str, Any]:
    session = batch.session
    allocated: dict[str, Any] = {}
    found = spec.reservation_rules
    batch.read([r.pool for r in found])
    for rule in found:
        pool = batch.pool(rule.pool)
        scope = "/".join(str(values.get(c)) for c in rule.scope) or "*"
        value = values.get(rule.characteristic)
        if pool.kind == "capacity":
            batch.settle()
            if rule.sets_capacity and values.get(rule.sets_capacity) is not None:
                pool = _set_capacity(session, pool, scope, int(values[rule.sets_capacity]), rule)
                batch.redefined(pool)
            amount = int(value or 0) - int((before or {}).get(rule.characteristic) or 0)
            if amount > 0:
                _take_capacity(session, pool, scope, amount, rule)
                batch.row(pool, scope, "", amount, rule, holder)
            continue
        if before is not None:
            continue
        tag = f"{rule.share_by}={values.get(rule.share_by)}" if rule.share_by else holder.token
        if value is None:
            if not rule.allocate:
                continue
            batch.settle()
            text = _allocate(session, pool, scope, tag, rule)
            kind = spec.characteristics[rule.characteristic].type
            allocated[rule.characteristic] = int(text) if kind == "integer" else text
        else:
            text = pool.normalise(value)
            batch.claim(pool, scope, text, tag, rule)
        batch.row(pool, scope, text, 0, rule, holder)
    return allocated


def _set_capacity(session: Session, pool: Pool, scope: str, capacity: int, rule: ReservationRule) -> Pool:
    """The pool with `scope`'s capacity set to what the item puts on the device; a Conflict if less
    is already reserved there (the order would leave the pool out of step with the device)."""
    if pool.capacity(scope) == capacity:
        return pool
    used = session.scalar(
        select(CounterRow.used).where(CounterRow.pool == pool.name, CounterRow.scope == scope)
    )
    if used is not None and used > capacity:
        raise Conflict(
            f"{rule.sets_capacity} {capacity} is below the {used} {rule.characteristic} already reserved "
            f"on {scope} (pool {pool.name})"
        )
    capacities = {**(pool.definition.get("capacities") or {}), scope: capacity}
    return define_pool(session, pool.name, pool.kind, {**pool.definition, "capacities": capacities})


_SHARE = (
    update(table(ClaimRow))
    .where(
        ClaimRow.pool == bindparam("k_pool"),
        ClaimRow.scope == bindparam("k_scope"),
        ClaimRow.value == bindparam("k_value"),
        ClaimRow.tag == bindparam("k_tag"),
        ClaimRow.refs > 0,
    )
    .values(refs=ClaimRow.refs + 1)
)


def _share(session: Session, pool: str, scope: str, value: str, tag: str) -> bool:
    """Take one more share of a value held with the same `tag` (e.g. the same VRF's RD)."""
    shared = session.execute(_SHARE, {"k_pool": pool, "k_scope": scope, "k_value": value, "k_tag": tag})
    return bool(shared.rowcount == 1)  # type: ignore[attr-defined]


def _try_claim(session: Session, pool: Pool, scope: str, value: str, tag: str) -> bool:
    key = {"pool": pool.name, "scope": scope, "value": value}
    if insert_ignore(session, ClaimRow, {**key, "tag": tag, "refs": 1}):
        return True
    return _share(session, pool.name, scope, value, tag)


def _allocate(session: Session, pool: Pool, scope: str, tag: str, rule: ReservationRule) -> str:
    claims = select(ClaimRow).where(ClaimRow.pool == pool.name, ClaimRow.scope == scope)
    if rule.share_by:  # reuse the value this tag already holds here (e.g. the VRF's RD)
        for mine in session.scalars(claims.where(ClaimRow.tag == tag)):
            if _try_claim(session, pool, scope, mine.value, tag):
                return mine.value
    taken = set(
        session.scalars(select(ClaimRow.value).where(ClaimRow.pool == pool.name, ClaimRow.scope == scope))
    )
    for value in islice((v for v in pool.candidates() if v not in taken), ALLOCATION_TRIES):
        if _try_claim(session, pool, scope, value, tag):  # lost a race: the next one
            return value
    raise Conflict(f"not enough capacity: pool {pool.name} has no free {rule.characteristic} on {scope}")


def _take_capacity(session: Session, pool: Pool, scope: str, amount: int, rule: ReservationRule) -> None:
    capacity = pool.capacity(scope)
    insert_ignore(session, CounterRow, {"pool": pool.name, "scope": scope, "capacity": capacity, "used": 0})
    taken = session.execute(
        update(CounterRow)
        .where(
            CounterRow.pool == pool.name,
            CounterRow.scope == scope,
            CounterRow.used + amount <= CounterRow.capacity,
        )
        .values(used=CounterRow.used + amount)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        used = session.scalar(
            select(CounterRow.used).where(CounterRow.pool == pool.name, CounterRow.scope == scope)
        )
        free = capacity - int(used or 0)
        raise Conflict(
            f"not enough capacity: {rule.characteristic} {amount} requested on {scope} "
            f"({'/'.join(rule.scope) or 'all'}, pool {pool.name}), {free} of {capacity} free"
        )


def _release(session: Session, rows: list[ReservationRow]) -> int:
    for row in rows:
        if row.amount:
            session.execute(
                update(CounterRow)
                .where(CounterRow.pool == row.pool, CounterRow.scope == row.scope)
                .values(used=CounterRow.used - row.amount)
                .execution_options(synchronize_session=False)
            )
        else:
            key = (ClaimRow.pool == row.pool, ClaimRow.scope == row.scope, ClaimRow.value == row.value)
            session.execute(
                update(ClaimRow)
                .where(*key)
                .values(refs=ClaimRow.refs - 1)
                .execution_options(synchronize_session=False)
            )
            session.execute(delete(ClaimRow).where(*key, ClaimRow.refs <= 0))
        session.delete(row)
    return len(rows)


def release_order(session: Session, order_id: str) -> int:
    """Release what an order's items reserved and did not hand to a resource (failed, cancelled)."""
    query = select(ReservationRow).where(
        ReservationRow.order_id == order_id, ReservationRow.resource_id == ""
    )
    return _release(session, list(session.scalars(query)))


def release_resource(session: Session, resource_id: str) -> int:
    query = select(ReservationRow).where(ReservationRow.resource_id == resource_id)
    return _release(session, list(session.scalars(query)))


def keep_order(session: Session, order_id: str, resources: Mapping[str, str]) -> None:
    """An order completed: each item's reservations now belong to the resource it created."""
    if resources:  # one executemany (a reservation loaded in the session is not refreshed)
        rows = [{"order": order_id, "item": i, "resource": r} for i, r in resources.items()]
        _KEEP.many(session, rows)


def reservations_of(session: Session, order_id: str = "", resource_id: str = "") -> list[ReservationRow]:
    query = select(ReservationRow).order_by(ReservationRow.pool, ReservationRow.scope, ReservationRow.value)
    if order_id:
        query = query.where(ReservationRow.order_id == order_id)
    if resource_id:
        query = query.where(ReservationRow.resource_id == resource_id)
    return list(session.scalars(query))


_RESERVATIONS = table(ReservationRow)
_KEEP = Prepared(
    update(_RESERVATIONS)
    .where(_RESERVATIONS.c.order_id == bindparam("order"), _RESERVATIONS.c.order_item_id == bindparam("item"))
    .values(resource_id=bindparam("resource"))
)


# every column given by `Reserving.row` (Prepared runs no Python-side defaults)
_ADD_RESERVATIONS = Prepared(
    insert(table(ReservationRow)),
    [
        "id",
        "pool",
        "scope",
        "value",
        "amount",
        "characteristic",
        "order_id",
        "order_item_id",
        "resource_id",
        "created",
    ],
)
