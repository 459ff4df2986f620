"""Turn a TMF652 order into validated items and per-device payloads (pure: no I/O but template reads).

`add` creates a resource; `modify` changes the characteristics of an inventory resource (given as
`CurrentResource`): the new values are its current ones merged with the item's, rendered and pushed
like an `add`, and the resource keeps its id, devices and reserved values.

An item of a multi-role specification (e.g. `slice-core`: a UPF and an SMF) touches one device
per role; `intended_for` renders each role on its device with that role's platform binding, and
`participant_payloads` merges everything per (device, protocol) for `run_transaction`.

`add` creates a resource; `modify`, `delete` and `noChange` name an inventory resource by
`resource.id` (looked up by the caller, given to `plan_order` as `existing`). A modify merges the
item's characteristics over the resource's. `orderItemRelationship` `dependsOn` orders items:
`item_levels` gives each item its depth; unknown ids and cycles are refused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

from core.errors import InvalidRequest, NotFound, Unprocessable
from core.tmf652 import ResourceOrderCreate, ResourceOrderItemCreate
from drivers.gnmi_payload import format_path, parse_document
from intent.catalog import Catalog, ResourceSpec, did_you_mean, validate_characteristics
from intent.pool_kinds import CAPACITY_POOLS
from intent.render import render_binding, render_string

ON_EXISTING = frozenset({"modify", "delete", "noChange"})  # actions on an inventory resource
DEPENDS_ON = "dependsOn"


@dataclass(frozen=True)
class RoleTarget:
    role: str
    device: str
    platform: str


@dataclass(frozen=True)
class CurrentResource:
    """An inventory resource as a modify, delete or noChange item finds it."""

    spec_id: str
    name: str
    characteristics: Mapping[str, Any]


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
    resource_id: str | None = None  # modify/delete/noChange: the inventory resource
    before: dict[str, Any] | None = None  # its characteristics as the inventory has them
    depends_on: tuple[str, ...] = ()  # item ids that must be applied first

    @property
    def changes_devices(self) -> bool:
        return self.action != "noChange"


def modified_ids(order: ResourceOrderCreate) -> list[str]:
    """Ids of the inventory resources the order's modify/delete/noChange items name (to look up
    before planning)."""
    items = order.orderItem
    return [i.resource.id for i in items if i.action in ON_EXISTING and i.resource and i.resource.id]


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

    def read_filter(self) -> str:
        """What reads it back: the subtree filter, or (gNMI) the JSON list of the paths it touches."""
        if self.protocol == "gnmi":
            return json.dumps([format_path(p) for p in parse_document(self.document or "").touched()])
        return etree.tostring(self.filter, encoding="unicode")


def plan_order(
    order: ResourceOrderCreate,
    catalog: Catalog,
    device_platforms: Mapping[str, str],
    existing: Mapping[str, CurrentResource] | None = None,
) -> list[PlannedItem]:
    """Validate every item; raise InvalidRequest (the order read alone or against the catalog is
    wrong: 400) or Unprocessable (the inventory does not allow it: 422) naming the first problem."""
    seen: set[str] = set()
    planned = []
    for item in order.orderItem:
        if item.id in seen:
            raise InvalidRequest(f"orderItem id {item.id!r} is used twice")
        seen.add(item.id)
        planned.append(plan_item(item, catalog, device_platforms, existing or {}))
    item_levels(planned)
    touched = [i.resource_id for i in planned if i.resource_id is not None]
    twice = sorted({r for r in touched if touched.count(r) > 1})
    if twice:
        raise InvalidRequest(f"resource {twice[0]} is the subject of more than one orderItem")
    return planned


def _current(
    item: ResourceOrderItemCreate, existing: Mapping[str, CurrentResource]
) -> tuple[str, CurrentResource]:
    where = f"orderItem {item.id}"
    ref = item.resource.id if item.resource else None
    if not ref:
        raise InvalidRequest(f"{where}: {item.action} needs resource.id (the inventory resource)")
    found = existing.get(ref)
    if found is None:
        raise Unprocessable(f"{where}: resource {ref} is not in the inventory")
    spec_ref = item.resourceSpecification or (item.resource.resourceSpecification if item.resource else None)
    if spec_ref is not None and spec_ref.id != found.spec_id:
        raise Unprocessable(f"{where}: resource {ref} is a {found.spec_id!r}, not a {spec_ref.id!r}")
    return ref, found


def identity(spec: ResourceSpec) -> list[str]:
    """Characteristics a modify may not change: the role devices and what the spec's pools key on
    (a capacity amount may change). Changing them is a delete and an add."""
    names = [rule.device_characteristic for rule in spec.roles.values()]
    for rule in spec.reservations:
        names.extend(rule.get("scope", []))
        if rule.get("pool") not in CAPACITY_POOLS:
            names.append(rule["characteristic"])
    return list(dict.fromkeys(names))


def plan_item(
    item: ResourceOrderItemCreate,
    catalog: Catalog,
    device_platforms: Mapping[str, str],
    existing: Mapping[str, CurrentResource] | None = None,
) -> PlannedItem:
    where = f"orderItem {item.id}"
    resource_id, current = _current(item, existing or {}) if item.action in ON_EXISTING else (None, None)
    spec_ref = item.resourceSpecification or (item.resource.resourceSpecification if item.resource else None)
    spec_id = current.spec_id if current else (spec_ref.id if spec_ref else None)
    if spec_id is None:
        raise InvalidRequest(f"{where}: resourceSpecification is required")
    try:
        spec = catalog.get(spec_id)
    except NotFound as exc:
        raise InvalidRequest(f"{where}: {exc}") from None
    raw: dict[str, Any] = {}
    for ch in item.resource.resourceCharacteristic if item.resource else []:
        if ch.name in raw:
            raise InvalidRequest(f"{where}: characteristic {ch.name!r} given twice")
        raw[ch.name] = ch.value
    if current is not None and raw and item.action != "modify":
        raise InvalidRequest(f"{where}: {item.action} takes no resourceCharacteristic")
    before = dict(current.characteristics) if current else None
    try:
        values = validate_characteristics(spec, {**before, **raw} if before else raw)
    except InvalidRequest as exc:
        raise InvalidRequest(f"{where}: {exc}") from None
    if before is not None:
        for name in identity(spec):
            if values.get(name) != before.get(name):
                raise Unprocessable(f"{where}: modify cannot change {name}; order a delete and an add")
    targets = _targets(where, spec, values, device_platforms)
    name = (item.resource.name if item.resource else None) or render_string(spec.resource_name, values)
    if current is not None:
        name = current.name
    depends = tuple(r.id for r in item.orderItemRelationship if r.relationshipType == DEPENDS_ON)
    first = targets[0]
    return PlannedItem(
        item.id,
        item.action,
        spec,
        first.device,
        first.platform,
        values,
        name,
        tuple(targets),
        resource_id,
        before,
        depends,
    )


def _targets(
    where: str, spec: ResourceSpec, values: Mapping[str, Any], device_platforms: Mapping[str, str]
) -> list[RoleTarget]:
    targets = []
    for role, rule in spec.roles.items():
        device = values[rule.device_characteristic]
        if device not in device_platforms:
            label = f" (role {role})" if len(spec.roles) > 1 else ""
            hint = did_you_mean(str(device), sorted(device_platforms))
            raise Unprocessable(f"{where}: device {device!r}{label} is not in the inventory{hint}")
        platform = device_platforms[device]
        try:
            spec.binding(platform, role)
        except InvalidRequest as exc:
            raise Unprocessable(f"{where}: {exc}") from None
        targets.append(RoleTarget(role, device, platform))
    return targets


def item_levels(items: list[PlannedItem]) -> dict[str, int]:
    """item id -> its depth in the dependsOn graph (0: depends on nothing). Refuses unknown ids,
    self-references and cycles."""
    by_id = {i.item_id: i for i in items}
    for item in items:
        for dep in item.depends_on:
            if dep not in by_id:
                raise InvalidRequest(f"orderItem {item.item_id}: dependsOn unknown orderItem {dep!r}")
            if dep == item.item_id:
                raise InvalidRequest(f"orderItem {item.item_id}: depends on itself")
    levels: dict[str, int] = {}
    visiting: list[str] = []

    def level(item_id: str) -> int:
        if item_id in levels:
            return levels[item_id]
        if item_id in visiting:
            cycle = " -> ".join([*visiting[visiting.index(item_id) :], item_id])
            raise InvalidRequest(f"orderItem dependencies form a cycle: {cycle}")
        visiting.append(item_id)
        levels[item_id] = max((level(d) + 1 for d in by_id[item_id].depends_on), default=0)
        visiting.pop()
        return levels[item_id]

    for item in items:
        level(item.item_id)
    return levels


def commit_waves(items: list[PlannedItem]) -> list[set[str]]:
    """Devices grouped in the order they commit: a device commits once, in the wave of its deepest
    item (so what an item depends on, on other devices, is committed before it)."""
    levels = item_levels(items)
    wave_of: dict[str, int] = {}
    for item in items:
        if item.changes_devices:
            for t in item.targets or (RoleTarget("", item.device, item.platform),):
                wave_of[t.device] = max(wave_of.get(t.device, 0), levels[item.item_id])
    return [{d for d, w in wave_of.items() if w == n} for n in sorted(set(wave_of.values()))]


def execution_groups(items: list[PlannedItem], partial: bool) -> list[list[PlannedItem]]:
    """Items applied together, all or nothing: every item in one group unless the order allows
    partial; then items joined by dependsOn or by a device in common share a group."""
    if not partial:
        return [items]
    parent = {i.item_id: i.item_id for i in items}

    def root(item_id: str) -> str:
        while parent[item_id] != item_id:
            item_id = parent[item_id]
        return item_id

    first_on: dict[str, str] = {}
    for item in items:
        joined = [*item.depends_on, *(first_on.setdefault(t.device, item.item_id) for t in item.targets)]
        for other in joined:
            parent[root(other)] = root(item.item_id)
    groups: dict[str, list[PlannedItem]] = {}
    for item in items:
        groups.setdefault(root(item.item_id), []).append(item)
    return list(groups.values())


def _render(catalog: Catalog, spec: ResourceSpec, target: RoleTarget, values: Mapping[str, Any]) -> Intended:
    binding = spec.binding(target.platform, target.role)
    r = render_binding(catalog.root, spec, binding, {**values, "role": target.role})
    return Intended(target.device, r.payload, r.filter, r.protocol, r.document, target.role)


def intended_for(catalog: Catalog, item: PlannedItem, before: bool = False) -> list[Intended]:
    """Every role of one planned item rendered for its device (`before`: the inventory resource as
    it is now, for modify/delete; its devices are the item's, a modify cannot move it)."""
    targets = item.targets or (RoleTarget(next(iter(item.spec.roles)), item.device, item.platform),)
    values = item.before if before and item.before is not None else item.values
    return [_render(catalog, item.spec, t, values) for t in targets]


def render_roles(
    catalog: Catalog, spec: ResourceSpec, targets: Sequence[RoleTarget], values: Mapping[str, Any]
) -> list[Intended]:
    """`intended_for` for an inventory resource's values: each role on its device."""
    first = targets[0]
    item = PlannedItem("", "noChange", spec, first.device, first.platform, dict(values), "", tuple(targets))
    return intended_for(catalog, item)


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
