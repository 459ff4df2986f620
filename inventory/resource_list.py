"""The whole TMF639 inventory as one query: resources of the catalog's specifications, plain
resources and devices, so that filters, sorting and paging apply across all of them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, literal, select, union_all

from core.query import Column
from inventory.records import Device, PlainResource, Resource
from inventory.tmf639 import DEVICE_CATEGORY, DEVICE_PREFIX, DEVICE_STATES

_KEYS = (
    "kind",
    "id",
    "name",
    "category",
    "spec_id",
    "administrativeState",
    "operationalState",
    "resourceStatus",
    "usageState",
)


def _union() -> Any:
    service = select(
        literal("service"),
        Resource.id,
        Resource.name,
        Resource.category,
        Resource.spec_id,
        Resource.administrative_state,
        Resource.operational_state,
        Resource.resource_status,
        Resource.usage_state,
    )
    plain = select(
        literal("plain"),
        PlainResource.id,
        PlainResource.name,
        PlainResource.category,
        literal(""),
        PlainResource.administrative_state,
        PlainResource.operational_state,
        PlainResource.resource_status,
        PlainResource.usage_state,
    )
    device = select(
        literal("device"),
        literal(DEVICE_PREFIX) + Device.name,
        Device.name,
        literal(DEVICE_CATEGORY),
        literal(""),
        *(literal(DEVICE_STATES[k]) for k in _KEYS[5:]),
    )
    parts = [
        q.with_only_columns(*(c.label(k) for c, k in zip(q.selected_columns, _KEYS, strict=True)))
        for q in (service, plain, device)
    ]
    return union_all(*parts).subquery("inventory")


INVENTORY = _union()
COLUMNS = {
    "id": Column(INVENTORY.c.id),
    "name": Column(INVENTORY.c.name),
    "category": Column(INVENTORY.c.category),
    "resourceSpecification.id": Column(INVENTORY.c.spec_id),
    **{k: Column(INVENTORY.c[k]) for k in _KEYS[5:]},
}


def listed() -> Select[tuple[str, str]]:
    """(kind, id) of every resource; kind is service, plain or device."""
    return select(INVENTORY.c.kind, INVENTORY.c.id)
