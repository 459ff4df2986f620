"""Every template, rendered for every platform of every role, validates against the upstream YANG
modules (../shared/reference/yang/, yanglint): OpenConfig for routers, 3GPP Release 17 for the 5G
functions, with ROM's augment modules in yang/. A new spec or platform without values here fails
the coverage test.

The payload of one resource is checked as a whole datastore (`-t config`: types, keys, mandatory
nodes, leafrefs inside it) where it is self-contained, else as an edit (`-t edit`)."""

from __future__ import annotations

from typing import Any

import pytest

from intent.catalog import Catalog, validate_characteristics
from intent.planner import PlannedItem, RoleTarget, intended_for
from intent.yang.payload import gnmi_tree
from tests.conftest import L3VPN_VALUES
from tests.unit.test_render_catalog_specs import QOS, SLICE_CORE, SLICE_RAN
from tests.yanglint import as_json, netconf_tree, validate

VALUES: dict[str, dict[str, Any]] = {
    "transport-qos": QOS,
    "l3vpn-endpoint": dict(L3VPN_VALUES),
    "slice-core": SLICE_CORE,
    "slice-ran": {**SLICE_RAN, "duId": "1"},
}
FAMILY = {"rom-router": "openconfig", "rom-5gc": "3gpp", "rom-ran": "3gpp"}
# (spec, platform) -> (data type, expected failure or None)
CHECKS: dict[tuple[str, str], tuple[str, str | None]] = {
    ("transport-qos", "rom-router"): ("config", None),
    # the subinterface's VLAN match and the VRF's interface refer to interfaces the payload does not hold
    ("l3vpn-endpoint", "rom-router"): ("edit", None),
    ("l3vpn-endpoint", "srlinux"): (
        "edit",
        "SR Linux native YANG (srl_nokia-*) is not among the upstream modules in ../shared/reference/yang",
    ),
    # the slice merges into the device's ManagedElement and function, whose mandatory nodes
    # (priorityLabel, managedNFProfile, the cell's attributes) the payload does not repeat
    ("slice-core", "rom-5gc"): ("edit", None),
    ("slice-ran", "rom-ran"): ("edit", None),
}


def _bindings() -> list[tuple[str, str, str]]:
    catalog = Catalog.load()
    found = []
    for spec in sorted(catalog, key=lambda s: s.id):
        spec_id = spec.id
        for role, rule in spec.roles.items():
            found.extend((spec_id, role, platform) for platform in rule.platforms)
    return found


def _cases() -> list[Any]:
    cases = []
    for spec_id, role, platform in _bindings():
        data_type, reason = CHECKS.get((spec_id, platform), ("config", None))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        cases.append(
            pytest.param(spec_id, role, platform, data_type, marks=marks, id=f"{spec_id}.{role}.{platform}")
        )
    return cases


def test_every_template_and_platform_has_values_and_a_check() -> None:
    assert {(s, p) for s, _r, p in _bindings()} == set(CHECKS)
    assert {s for s, _r, _p in _bindings()} == set(VALUES)


def _rendered(spec_id: str, role: str, platform: str) -> tuple[str, str]:
    """(instance data, xml|json) of `role` rendered on `platform`."""
    catalog = Catalog.load()
    spec = catalog.get(spec_id)
    values = dict(VALUES[spec_id])
    if platform == "srlinux":
        values["interface"] = "ethernet-1/1"
    checked = validate_characteristics(spec, values)
    targets = tuple(
        RoleTarget(
            r, checked[rule.device_characteristic], platform if r == role else next(iter(rule.platforms))
        )
        for r, rule in spec.roles.items()
    )
    mine = next(t for t in targets if t.role == role)
    item = PlannedItem("1", "add", spec, mine.device, mine.platform, checked, "x", targets)
    [want] = [w for w in intended_for(catalog, item) if w.role == role]
    if want.protocol == "gnmi":
        assert want.document is not None
        return as_json(gnmi_tree(want.document)), "json"
    return netconf_tree(want.payload), "xml"


@pytest.mark.parametrize(("spec_id", "role", "platform", "data_type"), _cases())
def test_template_validates_against_upstream_yang(
    spec_id: str, role: str, platform: str, data_type: str
) -> None:
    text, fmt = _rendered(spec_id, role, platform)
    family = FAMILY.get(platform)
    assert family is not None, f"no upstream modules for platform {platform}"
    assert validate(text, fmt, family, data_type) == [], text


def test_the_old_queue_shape_is_refused_by_upstream_openconfig() -> None:
    """The check has teeth: CIR and burst on the interface queue (the shape before issue 13)."""
    old = {
        "openconfig-qos:qos": {
            "interfaces": {
                "interface": [
                    {
                        "interface-id": "Ethernet1",
                        "config": {"interface-id": "Ethernet1"},
                        "output": {"queues": {"queue": [{"name": "Q", "config": {"name": "Q", "bc": 1500}}]}},
                    }
                ]
            }
        }
    }
    errors = validate(as_json(old), "json", "openconfig")
    assert any('"bc"' in e for e in errors), errors
