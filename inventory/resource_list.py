"""The whole TMF639 inventory as one query: resources of the catalog's specifications, plain
resources and devices, so that sorting and paging apply across all of them. Filters are applied
inside each part (where its indexes serve them), before the parts are joined."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, literal, select, union_all
from sqlalchemy.sql.elements import SQLColumnExpression

from core.query import Column, Filter, apply_filters
from inventory.records import Device, PlainResource, Resource
from inventory.tmf639 import DEVICE_CATEGORY, DEVICE_PREFIX, DEVICE_STATES

STATES = ("administrativeState", "operationalState", "resourceStatus", "usageState")
NAMES = ("id", "name", "category", "resourceSpecification.id", *STATES)


def _parts() -> list[tuple[str, list[SQLColumnExpression[Any]]]]:
    """Each part's kind and its columns, in the order of NAMES."""
    return [
        (
            "service",
            [
                Resource.id, Resource.name, Resource.category, Resource.spec_id,
                Resource.administrative_state, Resource.operational_state, Resource.resource_status,
                Resource.usage_state,
            ],
        ),
        (
            "plain",
            [
                PlainResource.id, PlainResource.name, PlainResource.category, literal(""),
                PlainResource.administrative_state, PlainResource.operational_state,
                PlainResource.resource_status, PlainResource.usage_state,
            ],
        ),
        (
            "device",
            [
                literal(DEVICE_PREFIX) + Device.name, Device.name, literal(DEVICE_CATEGORY), literal(""),
                *(literal(DEVICE_STATES[k]) for k in STATES),
            ],
        ),
    ]  # fmt: skip


def _labels(n: int) -> str:
    return f"c{n}"


# What a list filters on (checked before the query is built: the service part's columns)
COLUMNS = {name: Column(col) for name, col in zip(NAMES, _parts()[0][1], strict=True)}


def listed(filters: list[Filter]) -> tuple[Select[Any], dict[str, Column]]:
    """(kind, id) of every resource matching `filters` (kind: service, plain or device), and the
    columns to sort the union on."""
    selects = []
    for kind, cols in _parts():
        own = {name: Column(col) for name, col in zip(NAMES, cols, strict=True)}
        labelled: list[Any] = [
            literal(kind).label("kind"),
            *(c.label(_labels(n)) for n, c in enumerate(cols)),
        ]
        selects.append(apply_filters(select(*labelled), filters, own))
    union = union_all(*selects).subquery("inventory")
    columns = {name: Column(union.c[_labels(n)]) for n, name in enumerate(NAMES)}
    return select(union.c.kind, union.c[_labels(0)]), columns
