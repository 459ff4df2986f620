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
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidRequest
from intent.catalog import ResourceSpec
from inventory.pool_defs import DEFAULT_POOLS, Pool, define_pool, get_pool
from inventory.pool_store import ClaimRow, CounterRow, ReservationRow, insert_ignore

__all__ = ["DEFAULT_POOLS", "Holder", "Pool", "ReservationRule", "define_pool", "get_pool", "reserve"]
ALLOCATION_TRIES = 256


class ReservationRule(BaseModel):
    """One entry of a spec's `reservations:`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    pool: str
    characteristic: str
    scope: list[str] = []
    allocate: bool = False
    share_by: str | None = Field(None, alias="shareBy")
    # a capacity pool: the characteristic that states the scope's capacity on the device (e.g. a
    # UPF's upfMaxSessions); an item that sets it sets the pool's capacity for its scope
    sets_capacity: str | None = Field(None, alias="setsCapacity")


def rules(spec: ResourceSpec) -> list[ReservationRule]:
    try:
        found = [ReservationRule.model_validate(r) for r in spec.reservations]
    except ValidationError as exc:
        raise InvalidRequest(f"{spec.id}: invalid reservations: {exc}") from None
    for rule in found:
        names = [rule.characteristic, *rule.scope, *(n for n in (rule.share_by, rule.sets_capacity) if n)]
        unknown = [n for n in names if n not in spec.characteristics]
        if unknown:
            raise InvalidRequest(f"{spec.id}: reservation names unknown characteristic(s) {unknown}")
    return found


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


def reserve(
    session: Session,
    spec: ResourceSpec,
    values: Mapping[str, Any],
    holder: Holder,
    before: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Reserve what `values` draw from the spec's pools; returns the allocated characteristics.

    `before`: a modify's current values. Its resource keeps what it holds, so only the increase of
    a capacity amount is taken (a modify may not change pooled values or scopes: the planner checks).
    """
    allocated: dict[str, Any] = {}
    for rule in rules(spec):
        pool = get_pool(session, rule.pool)
        scope = "/".join(str(values.get(c)) for c in rule.scope) or "*"
        value = values.get(rule.characteristic)
        if pool.kind == "capacity":
            if rule.sets_capacity and values.get(rule.sets_capacity) is not None:
                pool = _set_capacity(session, pool, scope, int(values[rule.sets_capacity]), rule)
            amount = int(value or 0) - int((before or {}).get(rule.characteristic) or 0)
            if amount > 0:
                _take_capacity(session, pool, scope, amount, rule, holder)
            continue
        if before is not None:
            continue
        tag = f"{rule.share_by}={values.get(rule.share_by)}" if rule.share_by else holder.token
        if value is None:
            if not rule.allocate:
                continue
            text = _allocate(session, pool, scope, tag, rule)
            kind = spec.characteristics[rule.characteristic].type
            allocated[rule.characteristic] = int(text) if kind == "integer" else text
        else:
            text = pool.normalise(value)
            _claim(session, pool, scope, text, tag, rule)
        session.add(_row(pool, scope, text, 0, rule, holder))
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


def _row(pool: Pool, scope: str, value: str, amount: int, rule: ReservationRule, h: Holder) -> ReservationRow:
    return ReservationRow(
        id=str(uuid.uuid4()),
        pool=pool.name,
        scope=scope,
        value=value,
        amount=amount,
        characteristic=rule.characteristic,
        order_id=h.order_id,
        order_item_id=h.order_item_id,
        resource_id=h.resource_id,
    )


def _try_claim(session: Session, pool: Pool, scope: str, value: str, tag: str) -> bool:
    key = {"pool": pool.name, "scope": scope, "value": value}
    if insert_ignore(session, ClaimRow, {**key, "tag": tag, "refs": 1}):
        return True
    shared = session.execute(
        update(ClaimRow)
        .where(*(getattr(ClaimRow, k) == v for k, v in key.items()), ClaimRow.tag == tag, ClaimRow.refs > 0)
        .values(refs=ClaimRow.refs + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(shared.rowcount == 1)  # type: ignore[attr-defined]


def _claim(session: Session, pool: Pool, scope: str, value: str, tag: str, rule: ReservationRule) -> None:
    if _try_claim(session, pool, scope, value, tag):
        return
    holder = session.scalar(
        select(ReservationRow).where(
            ReservationRow.pool == pool.name, ReservationRow.scope == scope, ReservationRow.value == value
        )
    )
    raise Conflict(
        f"{rule.characteristic} {value} already reserved on {scope} (pool {pool.name}) by {describe(holder)}"
    )


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


def _take_capacity(
    session: Session, pool: Pool, scope: str, amount: int, rule: ReservationRule, holder: Holder
) -> None:
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
    session.add(_row(pool, scope, "", amount, rule, holder))


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
    for item_id, resource_id in resources.items():
        session.execute(
            update(ReservationRow)
            .where(ReservationRow.order_id == order_id, ReservationRow.order_item_id == item_id)
            .values(resource_id=resource_id)
            .execution_options(synchronize_session=False)
        )


def reservations_of(session: Session, order_id: str = "", resource_id: str = "") -> list[ReservationRow]:
    query = select(ReservationRow).order_by(ReservationRow.pool, ReservationRow.scope, ReservationRow.value)
    if order_id:
        query = query.where(ReservationRow.order_id == order_id)
    if resource_id:
        query = query.where(ReservationRow.resource_id == resource_id)
    return list(session.scalars(query))
