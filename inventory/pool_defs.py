"""Pool definitions: built-in defaults, overridden per name by rows of the `pools` table."""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import Prepared, numbered, numbered_in, table
from core.errors import Conflict, InvalidRequest
from intent.pool_kinds import DEFAULT_POOLS, KINDS, PoolKind
from inventory.pool_store import CounterRow, PoolRow


@dataclass(frozen=True)
class Pool:
    name: str
    kind: PoolKind
    definition: dict[str, Any]

    def capacity(self, scope: str) -> int:
        per_scope = self.definition.get("capacities") or {}
        return int(per_scope.get(scope, self.definition["capacity"]))

    def normalise(self, value: Any) -> str:
        """The canonical text of an explicit value (InvalidRequest if it cannot be one)."""
        try:
            if self.kind == "range":
                return str(int(value))
            if self.kind == "prefix":
                text = str(value)
                return str(
                    ipaddress.ip_network(text, strict=False) if "/" in text else ipaddress.ip_address(text)
                )
        except ValueError:
            raise InvalidRequest(f"{value!r} is not a value of pool {self.name} ({self.kind})") from None
        return str(value)

    def candidates(self) -> Iterator[str]:
        """Every value the pool allocates, lowest first."""
        d = self.definition
        if self.kind == "range":
            yield from (str(n) for n in range(int(d["min"]), int(d["max"]) + 1))
        elif self.kind == "asn-number":
            yield from (f"{d['asn']}:{n}" for n in range(int(d["min"]), int(d["max"]) + 1))
        elif self.kind == "prefix":
            network = ipaddress.ip_network(str(d["prefix"]))
            length = int(d["length"])
            if length == network.max_prefixlen:
                yield from (str(a) for a in network.hosts())
            else:
                yield from (str(n) for n in network.subnets(new_prefix=length))


def check_definition(name: str, kind: str, definition: Mapping[str, Any]) -> Pool:
    """A pool from a definition; InvalidRequest says what is wrong with it."""
    needs = {
        "range": ("min", "max"),
        "asn-number": ("asn", "min", "max"),
        "prefix": ("prefix", "length"),
        "capacity": ("capacity",),
    }
    if kind not in needs:
        raise InvalidRequest(f"pool {name}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
    missing = [k for k in needs[kind] if k not in definition]
    if missing:
        raise InvalidRequest(f"pool {name}: a {kind} pool needs {', '.join(missing)}")
    pool = Pool(name, kind, dict(definition))  # type: ignore[arg-type]
    try:
        next(iter(pool.candidates()), None) if kind != "capacity" else pool.capacity("")
    except (TypeError, ValueError) as exc:
        raise InvalidRequest(f"pool {name}: invalid definition: {exc}") from None
    return pool


def get_pool(session: Session, name: str) -> Pool:
    found = get_pools(session, [name]).get(name)
    if found is None:
        raise InvalidRequest(f"unknown resource pool {name!r}")
    return found


def get_pools(session: Session, names: Collection[str]) -> dict[str, Pool]:
    """The pools of these names that exist (defined, or built in), in one query."""
    wanted = sorted(set(names))
    size, params = numbered("n", wanted)
    rows = _pools_named(size).execute(session, params) if wanted else []
    found = {name: Pool(name, kind, definition) for name, kind, definition in rows}
    for name in wanted:
        if name not in found and name in DEFAULT_POOLS:
            kind, definition = DEFAULT_POOLS[name]
            found[name] = Pool(name, kind, definition)
    return found


@lru_cache(maxsize=64)
def _pools_named(size: int) -> Prepared:
    """For `size` pool names (`numbered` "n"): built and compiled once each."""
    pools = table(PoolRow)
    wanted = pools.c.name.in_(numbered_in("n", size))
    return Prepared(select(pools.c.name, pools.c.kind, pools.c.definition).where(wanted))


def define_pool(session: Session, name: str, kind: str, definition: Mapping[str, Any]) -> Pool:
    """Create or replace a pool definition; capacity counters follow a new capacity."""
    pool = check_definition(name, kind, definition)
    session.merge(PoolRow(name=name, kind=kind, definition=pool.definition))
    if kind == "capacity":
        for counter in session.scalars(select(CounterRow).where(CounterRow.pool == name)):
            if pool.capacity(counter.scope) < counter.used:
                raise Conflict(f"pool {name}: {counter.scope} already uses {counter.used}")
            counter.capacity = pool.capacity(counter.scope)
    return pool
