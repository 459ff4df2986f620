"""Which characteristic renders which leaf, found by probing the template (pure but for template reads).

`rom drift adopt` maps a changed leaf back to a characteristic without a second, hand-written
mapping in the spec: each characteristic is rendered once with a probe value, and the leaves whose
intended text becomes exactly that probe are the ones it controls. A leaf that is a list key (the
VLAN in a subinterface index) or a constant of the template is not adoptable: the change shows up
as missing/unexpected entries or a leaf no characteristic controls, and is listed instead.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from lxml import etree

from inventory.diff import Difference, compare
from inventory.store import Resource
from rom.catalog import Catalog, CharacteristicSpec, ResourceSpec
from rom.planner import Intended, intended_state


def _probe(rule: CharacteristicSpec, current: Any, n: int) -> Any:
    if rule.type == "integer":
        value = (rule.maximum if rule.maximum is not None else 10_000_000) - n
        return value if value != current else value - 1
    if rule.type == "boolean":
        return not current
    if rule.type == "ipv4":
        address = f"192.0.2.{200 + n % 50}"
        return address if address != current else f"198.51.100.{200 + n % 50}"
    return f"romprobe{n}"


def _as_data(config: etree._Element) -> etree._Element:
    data = etree.Element("{urn:ietf:params:xml:ns:netconf:base:1.0}data")
    for child in config:
        data.append(copy.deepcopy(child))
    return data


def leaf_map(
    catalog: Catalog, spec: ResourceSpec, device: str, platform: str, values: Mapping[str, Any]
) -> dict[str, str]:
    """Leaf path (as `inventory.diff` names it) -> the characteristic whose value it holds."""
    base = intended_state(catalog, spec, device, platform, values)
    as_data = _as_data(base.payload)
    devices = {r.device_characteristic for r in spec.roles.values()}
    out: dict[str, str] = {}
    for n, (name, rule) in enumerate(spec.characteristics.items()):
        if name in devices:
            continue
        probe = _probe(rule, values.get(name), n)
        probed = intended_state(catalog, spec, device, platform, {**values, name: probe})
        if etree.tostring(probed.filter) != etree.tostring(base.filter):
            continue  # it names the resource's entries (a key): not a value to adopt
        text = str(probe).lower() if rule.type == "boolean" else str(probe)
        for d in compare(probed.payload, as_data, probed.filter):
            if d.kind == "changed" and d.intended == text:
                out[d.path] = name
    return out


def _convert(rule: CharacteristicSpec, text: str) -> Any:
    if rule.type == "integer":
        return int(text)
    if rule.type == "boolean":
        return text.lower() == "true"
    return text


def adoptable_changes(
    catalog: Catalog,
    spec: ResourceSpec,
    resource: Resource,
    platform: str,
    want: Intended,
    found: Sequence[Difference],
) -> tuple[dict[str, Any], list[str]]:
    """(new characteristic values taken from the device, what could not be adopted and why)."""
    if want.protocol == "gnmi":
        return {}, ["adopt reads NETCONF resources only; remediate gNMI ones"]
    mapping = leaf_map(catalog, spec, resource.device, platform, resource.characteristics)
    values: dict[str, Any] = {}
    problems: list[str] = []
    for d in found:
        name = mapping.get(d.path) if d.kind == "changed" else None
        if name is None or d.actual is None:
            problems.append(f"{d.kind} {d.path}: no characteristic holds it (remediate instead)")
            continue
        try:
            value = _convert(spec.characteristics[name], d.actual)
        except ValueError:
            problems.append(f"{d.path}: {d.actual!r} is not a valid {name}")
            continue
        if values.get(name, value) != value:
            problems.append(f"{name}: the device holds different values at different leaves")
            continue
        values[name] = value
    return values, problems
