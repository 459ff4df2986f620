"""ROM's own YANG check (intent.yang, yangson) of the 5G payloads against 3GPP TS 28.541 Release 17
plus ROM's augment modules (yang/): what the catalog renders passes; a DNN in 3GPP's namespace, a
missing list key, an unknown gNMI leaf or a ratio out of 3GPP's range is refused, naming the node."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from core.errors import Unprocessable
from intent.catalog import Catalog, validate_characteristics
from intent.planner import Intended, PlannedItem, RoleTarget, intended_for
from intent.yang.check import check_items, problems
from tests.unit.test_render_catalog_specs import SLICE_CORE, SLICE_RAN
from tests.yanglint import PROJECT_YANG, REFERENCE

DIRECTORIES = [REFERENCE / "3gpp", PROJECT_YANG]
PLATFORM = {"slice-core": "rom-5gc", "slice-ran": "rom-ran"}
VALUES = {"slice-core": SLICE_CORE, "slice-ran": {**SLICE_RAN, "duId": "1"}}


def _item(catalog: Catalog, spec_id: str, values: dict[str, Any]) -> PlannedItem:
    spec = catalog.get(spec_id)
    checked = validate_characteristics(spec, values)
    platform = PLATFORM[spec_id]
    targets = tuple(
        RoleTarget(role, checked[rule.device_characteristic], platform) for role, rule in spec.roles.items()
    )
    return PlannedItem("5", "add", spec, targets[0].device, platform, checked, "x", targets)


def _wants(spec_id: str) -> list[Intended]:
    catalog = Catalog.load()
    return intended_for(catalog, _item(catalog, spec_id, dict(VALUES[spec_id])))


def _with_payload(want: Intended, old: str, new: str) -> Intended:
    if want.protocol == "gnmi":
        assert want.document is not None and old in want.document
        return type(want)(**{**want.__dict__, "document": want.document.replace(old, new)})
    from lxml import etree

    text = etree.tostring(want.payload, encoding="unicode")
    assert old in text
    return type(want)(**{**want.__dict__, "payload": etree.fromstring(text.replace(old, new))})


@pytest.mark.parametrize("spec_id", ["slice-core", "slice-ran"])
def test_the_catalog_renders_valid_3gpp(spec_id: str) -> None:
    for want in _wants(spec_id):
        assert problems(want, PLATFORM[spec_id], DIRECTORIES) == [], want.role


def test_a_dnn_in_the_3gpp_namespace_is_refused() -> None:
    upf = next(w for w in _wants("slice-core") if w.role == "upf")
    bad = _with_payload(upf, '<dnnList xmlns="urn:rom:yang:rom-5g-slice-ext">', "<dnnList>")
    found = problems(bad, "rom-5gc", DIRECTORIES)
    assert found and "dnnList" in found[0], found


def test_a_missing_list_key_is_refused() -> None:
    """rRMPolicyMemberList is keyed [mcc mnc sd sst]: a member without its PLMN is not an entry."""
    [gnb] = _wants("slice-ran")
    bad = _with_payload(gnb, '{"mcc": "001", ', "{")
    found = problems(bad, "rom-ran", DIRECTORIES)
    assert found and "mcc" in found[0], found


def test_a_gnmi_leaf_3gpp_does_not_have_is_refused() -> None:
    [gnb] = _wants("slice-ran")
    bad = _with_payload(gnb, '"rRMPolicyMaxRatio"', '"rRMPolicyMaximumRatio"')
    found = problems(bad, "rom-ran", DIRECTORIES)
    assert found and "rRMPolicyMaximumRatio" in found[0], found


def test_a_ratio_beyond_3gpp_range_from_a_spec_without_the_bound_is_422(tmp_path: Path) -> None:
    """A spec whose author forgot the 0..100 bound: the gNB's YANG (uint8 0..100) catches it."""
    root = tmp_path / "templates"
    shutil.copytree(Catalog.load().root / "slice-ran", root / "slice-ran")
    spec = root / "slice-ran" / "spec.yaml"
    text = spec.read_text()
    spec.write_text(
        text.replace(
            "  maxRatio:\n    type: integer\n    minimum: 0\n    maximum: 100\n",
            "  maxRatio:\n    type: integer\n",
        )
    )
    catalog = Catalog.load(root)
    item = _item(catalog, "slice-ran", {**VALUES["slice-ran"], "maxRatio": 150})
    with pytest.raises(
        Unprocessable, match=r"orderItem 5 role gnb: .*gnb1 \(rom-ran\) breaks its YANG: .*rRMPolicyMaxRatio"
    ):
        check_items(catalog, [item], {"gnb1": "rom-ran"}, DIRECTORIES)
