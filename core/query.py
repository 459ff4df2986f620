"""TMF630 query rules: attribute filters (applied before paging), sorting and `fields` projection."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import SQLColumnExpression

from core.errors import InvalidRequest

RESERVED = frozenset({"fields", "offset", "limit", "sort"})
OPERATORS = {"eq": "__eq__", "gt": "__gt__", "gte": "__ge__", "lt": "__lt__", "lte": "__le__"}


@dataclass(frozen=True)
class Column:
    """A filterable attribute: its column and how to read a query value for it."""

    attr: SQLColumnExpression[Any]  # a mapped attribute, or a column of a union (inventory's list)
    kind: type = str


@dataclass(frozen=True)
class Filter:
    name: str
    op: str
    values: tuple[Any, ...]


def parse_filters(params: Iterable[tuple[str, str]], columns: Mapping[str, Column]) -> list[Filter]:
    """`state=a,b` (any of), `orderDate.gte=…`; unknown attributes are refused, not ignored."""
    filters = []
    for key, raw in params:
        if key in RESERVED:
            continue
        name, _, op = key.rpartition(".") if key not in columns else (key, "", "eq")
        name, op = (name, op) if name else (key, "eq")  # `alarmedObject.id` is a name, not an operator
        if name not in columns:
            raise InvalidRequest(f"cannot filter on {name!r} (filterable: {', '.join(sorted(columns))})")
        if op not in OPERATORS:
            raise InvalidRequest(f"unknown operator {op!r} in {key!r} (use {', '.join(OPERATORS)})")
        kind = columns[name].kind
        values = tuple(_convert(name, v, kind) for v in (raw.split(",") if op == "eq" else [raw]))
        filters.append(Filter(name, op, values))
    return filters


def _convert(name: str, raw: str, kind: type) -> Any:
    try:
        if kind is int:
            return int(raw)
        if kind is datetime:
            value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            return value if value.tzinfo else value.replace(tzinfo=UTC)
    except ValueError:
        raise InvalidRequest(f"{name}: {raw!r} is not a valid {kind.__name__}") from None
    return raw


def apply_filters(query: Select[Any], filters: list[Filter], columns: Mapping[str, Column]) -> Select[Any]:
    for f in filters:
        attr = columns[f.name].attr
        if f.op == "eq":
            query = query.where(attr.in_(f.values))
        else:
            query = query.where(getattr(attr, OPERATORS[f.op])(f.values[0]))
    return query


def apply_sort(
    query: Select[Any], sort: str | None, columns: Mapping[str, Column], default: str
) -> Select[Any]:
    for item in (sort or default).split(","):
        name = item.lstrip("-+")
        if name not in columns:
            raise InvalidRequest(f"cannot sort on {name!r}")
        attr = columns[name].attr
        query = query.order_by(attr.desc() if item.startswith("-") else attr.asc())
    return query


def project(doc: Mapping[str, Any], fields: str | None) -> dict[str, Any]:
    """Only the named top-level fields, plus `id` and `href` (TMF630)."""
    if not fields:
        return dict(doc)
    wanted = {f.strip() for f in fields.split(",") if f.strip()} | {"id", "href"}
    return {k: v for k, v in doc.items() if k in wanted}


@dataclass(frozen=True)
class PageRequest:
    """A TMF list query: attribute filters, sort, paging and projection."""

    params: tuple[tuple[str, str], ...] = ()
    offset: int = 0
    limit: int = 100
    fields: str | None = None
    sort: str | None = None


def fetch_page(
    session: Session,
    model: type[Any],
    columns: Mapping[str, Column],
    default_sort: str,
    page: PageRequest,
    to_doc: Callable[[Any], Mapping[str, Any]],
) -> tuple[list[dict[str, Any]], int]:
    """One page of documents and the total count, with every filter applied before paging."""
    query, total = page_query(session, select(model), columns, default_sort, page)
    if page.limit == 0:  # counts only (TMF630 `limit=0`, what a completion poller asks): no rows
        return [], total
    return [project(to_doc(r), page.fields) for r in session.scalars(query)], total


def page_query(
    session: Session, query: Select[Any], columns: Mapping[str, Column], default_sort: str, page: PageRequest
) -> tuple[Select[Any], int]:
    """`query` filtered, sorted and cut to the page, and the count of all it matches."""
    query = apply_filters(query, parse_filters(page.params, columns), columns)
    return sorted_page(session, query, columns, default_sort, page)


def sorted_page(
    session: Session, query: Select[Any], columns: Mapping[str, Column], default_sort: str, page: PageRequest
) -> tuple[Select[Any], int]:
    """`query` (filtered already) sorted and cut to the page, and the count of all it matches."""
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return apply_sort(query, page.sort, columns, default_sort).offset(page.offset).limit(page.limit), total


def page_docs(
    docs: Iterable[Mapping[str, Any]], filterable: Iterable[str], default_sort: str, page: PageRequest
) -> tuple[list[dict[str, Any]], int]:
    """The same rules over documents held in memory (the catalog): `name=a,b` filters on the
    `filterable` top-level attributes, compared as text; sort, paging and `fields` as for a table."""
    allowed = frozenset(filterable)
    chosen = list(docs)
    for key, raw in page.params:
        if key in RESERVED:
            continue
        name, _, op = key.partition(".")
        if name not in allowed:
            raise InvalidRequest(f"cannot filter on {name!r} (filterable: {', '.join(sorted(allowed))})")
        if op not in ("", "eq"):
            raise InvalidRequest(f"unknown operator {op!r} in {key!r} (use eq)")
        wanted = set(raw.split(","))
        chosen = [d for d in chosen if str(d.get(name, "")) in wanted]
    for item in reversed((page.sort or default_sort).split(",")):
        name = item.lstrip("-+")
        if name not in allowed:
            raise InvalidRequest(f"cannot sort on {name!r}")
        chosen.sort(key=lambda d: str(d.get(name, "")), reverse=item.startswith("-"))
    window = chosen[page.offset : page.offset + page.limit]
    return [project(d, page.fields) for d in window], len(chosen)
