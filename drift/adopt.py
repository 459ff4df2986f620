"""Which characteristic renders which leaf, found by probing the template (pure but for template reads).

`rom drift adopt` maps a changed leaf back to a characteristic without a second, hand-written
mapping in the spec: each characteristic is rendered once with a probe value, and the leaves whose
intended text becomes exactly that probe are the ones it controls. A leaf that is a list key (the
VLAN in a subinterface index) or a constant of the template is not adoptable: the change shows up
as missing/unexpected entries or a leaf no characteristic controls, and is listed instead. gNMI
documents are probed the same way, leaf by leaf of what they set (a key moves the path itself).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from lxml import etree

from drivers.gnmi_payload import bare_name, parse_document
from intent.catalog import Catalog, CharacteristicSpec, ResourceSpec
from intent.planner import Intended, RoleTarget, intended_state, render_roles
from intent.readback import leaf_text
from intent.tree import Difference, compare
from inventory.records import ResourceRow


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


def _leaves(want: Intended) -> dict[str, str]:
    """gNMI: the text of every scalar its document sets, by the path `intent.readback` names it."""
    out: dict[str, str] = {}

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(sub, f"{path}/{bare_name(key)}")
        elif not isinstance(value, list):
            out[path] = leaf_text(value)

    for change in parse_document(want.document or "{}").changes:
        if change.op != "delete":
            walk(change.value, change.text)
    return out


def leaf_map(
    catalog: Catalog,
    spec: ResourceSpec,
    device: str,
    platform: str,
    values: Mapping[str, Any],
    role: str | None = None,
) -> dict[str, str]:
    """Leaf path (as `intent.tree` or `intent.readback` names it) -> the characteristic whose value
    it holds, for `role` (default: the role whose device characteristic names `device`)."""

    def render(at: Mapping[str, Any]) -> Intended:
        if role is None:
            return intended_state(catalog, spec, device, platform, at)
        return render_roles(catalog, spec, [RoleTarget(role, device, platform)], at)[0]

    base = render(values)
    as_data = _as_data(base.payload)
    base_leaves = _leaves(base) if base.protocol == "gnmi" else {}
    devices = {r.device_characteristic for r in spec.roles.values()}
    out: dict[str, str] = {}
    for n, (name, rule) in enumerate(spec.characteristics.items()):
        if name in devices:
            continue
        probe = _probe(rule, values.get(name), n)
        probed = render({**values, name: probe})
        if etree.tostring(probed.filter) != etree.tostring(base.filter):
            continue  # it names the resource's entries (a key): not a value to adopt
        text = str(probe).lower() if rule.type == "boolean" else str(probe)
        if base.protocol == "gnmi":  # a key moves the path, so only leaves of the same path count
            for path, value in _leaves(probed).items():
                if value == text and base_leaves.get(path, text) != text:
                    out[path] = name
            continue
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
    resource: ResourceRow,
    platform: str,
    want: Intended,
    found: Sequence[Difference],
) -> tuple[dict[str, Any], list[str]]:
    """(new characteristic values taken from the device, what could not be adopted and why)."""
    mapping = leaf_map(catalog, spec, want.device, platform, resource.characteristics, want.role or None)
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
