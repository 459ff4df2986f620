"""5G resources recorded by a ROM from before the move to the TS 28.541 Release 17 tree need no
data migration: the inventory keeps a resource's characteristics, never its payload or device
paths, and drift, delete and recovery render them with the current templates. Checked here on the
characteristics such a resource holds (the spec's keys of that time): they render on the Release 17
tree, payloads and read-back filters alike, and the payloads pass the devices' YANG."""

from __future__ import annotations

from typing import Any

import pytest

from intent.catalog import Catalog, validate_characteristics
from intent.planner import RoleTarget, render_roles
from intent.yang.check import problems
from intent.yang.payload import gnmi_tree
from tests.unit.test_render_catalog_specs import SLICE_CORE, SLICE_RAN
from tests.yanglint import PROJECT_YANG, REFERENCE

DIRECTORIES = [REFERENCE / "3gpp", PROJECT_YANG]
ME = "{urn:3gpp:sa5:_3gpp-common-managed-element}ManagedElement"
# The characteristics each spec had before the move (commit 1c542a1's parent): what such a
# resource holds. A template that came to need another would make its old resources unrenderable.
BEFORE = {
    "slice-core": (
        "rom-5gc",
        SLICE_CORE,
        {
            "dnn",
            "pduSessions",
            "sd",
            "smfDevice",
            "smfFunctionId",
            "sst",
            "upfDevice",
            "upfFunctionId",
            "upfMaxSessions",
        },
    ),
    "slice-ran": (
        "rom-ran",
        {**SLICE_RAN, "duId": "1", "mcc": "001", "mnc": "01", "sd": "00a0b1"},
        {
            "cellId",
            "dedicatedRatio",
            "device",
            "duId",
            "maxRatio",
            "mcc",
            "minRatio",
            "mnc",
            "policyId",
            "sd",
            "sst",
        },
    ),
}


def _roots(element: Any) -> list[str]:
    return [str(c.tag) for c in element if isinstance(c.tag, str)]


@pytest.mark.parametrize("spec_id", sorted(BEFORE))
def test_a_resource_recorded_before_renders_on_the_release_17_tree(spec_id: str) -> None:
    platform, values, then = BEFORE[spec_id]
    catalog = Catalog.load()
    spec = catalog.get(spec_id)
    recorded: dict[str, Any] = {
        k: v for k, v in validate_characteristics(spec, dict(values)).items() if k in then
    }
    targets = [
        RoleTarget(role, str(recorded[rule.device_characteristic]), platform)
        for role, rule in spec.roles.items()
    ]
    wants = render_roles(catalog, spec, targets, recorded)
    assert len(wants) == len(targets)
    for want in wants:
        if want.protocol == "gnmi":  # read back by the document's own paths
            assert list(gnmi_tree(want.document or "{}")) == ["_3gpp-common-managed-element:ManagedElement"]
        else:
            assert _roots(want.payload) == [ME]
            assert want.filter is not None and _roots(want.filter) == [ME]
        assert problems(want, platform, DIRECTORIES) == [], want.role
