"""Turn a TMF652 order into validated items and per-device payloads (pure: no I/O but template reads)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from rom.catalog import Catalog, ResourceSpec, validate_characteristics
from rom.errors import InvalidRequest, NotFound
from rom.render import render_resource, render_string
from rom.tmf import ResourceOrderCreate, ResourceOrderItemCreate

SUPPORTED_ACTIONS = frozenset({"add"})


@dataclass(frozen=True)
class PlannedItem:
    item_id: str
    action: str
    spec: ResourceSpec
    device: str
    platform: str
    values: dict[str, Any]
    resource_name: str


@dataclass(frozen=True)
class Intended:
    """What one resource should look like on its device, and the filter that reads it back."""

    device: str
    payload: etree._Element
    filter: etree._Element


def plan_order(
    order: ResourceOrderCreate, catalog: Catalog, device_platforms: Mapping[str, str]
) -> list[PlannedItem]:
    """Validate every item; raise InvalidRequest naming the first problem."""
    seen: set[str] = set()
    planned = []
    for item in order.orderItem:
        if item.id in seen:
            raise InvalidRequest(f"orderItem id {item.id!r} is used twice")
        seen.add(item.id)
        planned.append(plan_item(item, catalog, device_platforms))
    return planned


def plan_item(
    item: ResourceOrderItemCreate, catalog: Catalog, device_platforms: Mapping[str, str]
) -> PlannedItem:
    where = f"orderItem {item.id}"
    if item.action not in SUPPORTED_ACTIONS:
        raise InvalidRequest(f"{where}: action {item.action!r} is not supported yet (supported: add)")
    spec_ref = item.resourceSpecification or (item.resource.resourceSpecification if item.resource else None)
    if spec_ref is None:
        raise InvalidRequest(f"{where}: resourceSpecification is required")
    try:
        spec = catalog.get(spec_ref.id)
    except NotFound as exc:
        raise InvalidRequest(f"{where}: {exc}") from None
    raw: dict[str, Any] = {}
    for ch in item.resource.resourceCharacteristic if item.resource else []:
        if ch.name in raw:
            raise InvalidRequest(f"{where}: characteristic {ch.name!r} given twice")
        raw[ch.name] = ch.value
    try:
        values = validate_characteristics(spec, raw)
    except InvalidRequest as exc:
        raise InvalidRequest(f"{where}: {exc}") from None
    device = values[spec.device_characteristic]
    if device not in device_platforms:
        raise InvalidRequest(f"{where}: device {device!r} is not in the inventory")
    platform = device_platforms[device]
    spec.binding(platform)
    name = (item.resource.name if item.resource else None) or render_string(spec.resource_name, values)
    return PlannedItem(item.id, item.action, spec, device, platform, values, name)


def intended_state(
    catalog: Catalog, spec: ResourceSpec, device: str, platform: str, values: Mapping[str, Any]
) -> Intended:
    payload, filter_ = render_resource(catalog.root, spec, platform, values)
    return Intended(device, payload, filter_)


def device_payloads(intended: list[Intended]) -> dict[str, str]:
    """One `<config>` per device: the children of every resource's payload for that device, in order."""
    merged: dict[str, etree._Element] = {}
    for want in intended:
        into = merged.get(want.device)
        if into is None:
            merged[want.device] = etree.fromstring(etree.tostring(want.payload))
        else:
            for child in want.payload:
                into.append(etree.fromstring(etree.tostring(child)))
    return {device: etree.tostring(root, encoding="unicode") for device, root in merged.items()}
