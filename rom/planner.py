"""Turn a TMF652 order into validated items and per-device payloads (pure: no I/O but template reads).

An item of a multi-role specification (e.g. `slice-core`: a UPF and an SMF) touches one device
per role; `intended_for` renders each role on its device with that role's platform binding, and
`participant_payloads` merges everything per (device, protocol) for `run_transaction`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from rom.catalog import Catalog, ResourceSpec, validate_characteristics
from rom.errors import InvalidRequest, NotFound
from rom.render import render_binding, render_string
from rom.tmf import ResourceOrderCreate, ResourceOrderItemCreate

SUPPORTED_ACTIONS = frozenset({"add"})


@dataclass(frozen=True)
class RoleTarget:
    role: str
    device: str
    platform: str


@dataclass(frozen=True)
class PlannedItem:
    item_id: str
    action: str
    spec: ResourceSpec
    device: str  # the first role's device (where inventory records the resource)
    platform: str
    values: dict[str, Any]
    resource_name: str
    targets: tuple[RoleTarget, ...] = ()  # every role's device (the first is `device`)


@dataclass(frozen=True)
class Intended:
    """What one resource role should look like on its device, and how to read it back.

    NETCONF/NAPALM: `payload` is the `<config>`, `filter` the subtree that reads it back.
    gNMI: `document` is the payload document (drivers.gnmi_payload), read back at the paths it
    sets; `payload`/`filter` are then empty placeholders (`<config/>`, `<filter/>`).
    """

    device: str
    payload: etree._Element
    filter: etree._Element
    protocol: str = "netconf"
    document: str | None = None
    role: str = ""


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
    targets = []
    for role, rule in spec.roles.items():
        device = values[rule.device_characteristic]
        if device not in device_platforms:
            label = f" (role {role})" if len(spec.roles) > 1 else ""
            raise InvalidRequest(f"{where}: device {device!r}{label} is not in the inventory")
        platform = device_platforms[device]
        try:
            spec.binding(platform, role)
        except InvalidRequest as exc:
            raise InvalidRequest(f"{where}: {exc}") from None
        targets.append(RoleTarget(role, device, platform))
    name = (item.resource.name if item.resource else None) or render_string(spec.resource_name, values)
    first = targets[0]
    return PlannedItem(item.id, item.action, spec, first.device, first.platform, values, name, tuple(targets))


def _render(catalog: Catalog, spec: ResourceSpec, target: RoleTarget, values: Mapping[str, Any]) -> Intended:
    binding = spec.binding(target.platform, target.role)
    r = render_binding(catalog.root, spec, binding, {**values, "role": target.role})
    return Intended(target.device, r.payload, r.filter, r.protocol, r.document, target.role)


def intended_for(catalog: Catalog, item: PlannedItem) -> list[Intended]:
    """Every role of one planned item, rendered for its device."""
    targets = item.targets or (RoleTarget(next(iter(item.spec.roles)), item.device, item.platform),)
    return [_render(catalog, item.spec, t, item.values) for t in targets]


def intended_state(
    catalog: Catalog, spec: ResourceSpec, device: str, platform: str, values: Mapping[str, Any]
) -> Intended:
    """The resource's part on `device`: the first role whose device characteristic names it
    (the first role if none does, as for single-role specs)."""
    role = next(
        (name for name, r in spec.roles.items() if values.get(r.device_characteristic) == device),
        next(iter(spec.roles)),
    )
    return _render(catalog, spec, RoleTarget(role, device, platform), values)


def _merge_xml(parts: list[etree._Element]) -> str:
    into = etree.fromstring(etree.tostring(parts[0]))
    for part in parts[1:]:
        for child in part:
            into.append(etree.fromstring(etree.tostring(child)))
    return str(etree.tostring(into, encoding="unicode"))


def _merge_documents(documents: list[str]) -> str:
    merged: dict[str, list[Any]] = {}
    for text in documents:
        for op, entries in json.loads(text).items():
            merged.setdefault(op, []).extend(entries)
    return json.dumps(merged, sort_keys=True)


def participant_payloads(intended: list[Intended]) -> dict[str, dict[str, str]]:
    """device -> {protocol: payload}: NETCONF `<config>` children merged in order, gNMI documents
    concatenated (one Set per device)."""
    xml: dict[tuple[str, str], list[etree._Element]] = {}
    docs: dict[str, list[str]] = {}
    for want in intended:
        if want.protocol == "gnmi":
            assert want.document is not None
            docs.setdefault(want.device, []).append(want.document)
        else:
            xml.setdefault((want.device, want.protocol), []).append(want.payload)
    out: dict[str, dict[str, str]] = {}
    for (device, protocol), parts in xml.items():
        out.setdefault(device, {})[protocol] = _merge_xml(parts)
    for device, documents in docs.items():
        out.setdefault(device, {})["gnmi"] = _merge_documents(documents)
    return out


def device_payloads(intended: list[Intended]) -> dict[str, str]:
    """One `<config>` per device, for NETCONF-only plans (the shape before gNMI; see
    `participant_payloads` for mixed ones)."""
    other = sorted({f"{w.device} ({w.protocol})" for w in intended if w.protocol == "gnmi"})
    if other:
        raise InvalidRequest(f"not NETCONF-only: {', '.join(other)}; use participant_payloads")
    return {device: next(iter(per.values())) for device, per in participant_payloads(intended).items()}
