"""Every catalog spec renders to its golden payload; values stay data in XML and in JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from core.errors import RomError
from drivers.gnmi_payload import parse_document
from intent.catalog import Catalog, validate_characteristics
from intent.planner import PlannedItem, RoleTarget, intended_for
from intent.render import render_text
from tests.conftest import L3VPN_VALUES

GOLDEN = Path(__file__).parent / "golden"
SLICE_CORE = {
    "upfDevice": "upf1",
    "smfDevice": "smf1",
    "sst": 2,
    "sd": "00a0b1",
    "dnn": "factory.urllc",
    "upfMaxSessions": 20000,
}
SLICE_RAN = {
    "device": "gnb1",
    "cellId": "1",
    "policyId": "urllc-1",
    "sst": 2,
    "maxRatio": 60,
    "minRatio": 20,
    "dedicatedRatio": 10,
}
QOS = {
    "device": "pe1",
    "interface": "Ethernet1",
    "queueName": "SLICE-URLLC",
    "priority": 5,
    "strictPriority": True,
    "bandwidthMbps": 1000,
    "schedulerSequence": 1,
}
SRL = {**L3VPN_VALUES, "interface": "ethernet-1/1"}
CASES: list[tuple[str, dict[str, Any], dict[str, str]]] = [
    ("slice-core", SLICE_CORE, {"upf1": "rom-5gc", "smf1": "rom-5gc"}),
    ("slice-ran", SLICE_RAN, {"gnb1": "rom-ran"}),
    ("transport-qos", QOS, {"pe1": "rom-router"}),
    ("l3vpn-endpoint", SRL, {"pe1": "srlinux"}),
]


def _item(spec_id: str, values: dict[str, Any], platforms: dict[str, str]) -> PlannedItem:
    spec = Catalog.load().get(spec_id)
    checked = validate_characteristics(spec, values)
    targets = tuple(
        RoleTarget(role, checked[r.device_characteristic], platforms[checked[r.device_characteristic]])
        for role, r in spec.roles.items()
    )
    return PlannedItem("1", "add", spec, targets[0].device, targets[0].platform, checked, "x", targets)


def _text(item: PlannedItem) -> str:
    parts = []
    for want in intended_for(Catalog.load(), item):
        if want.protocol == "gnmi":
            assert want.document is not None
            body = json.dumps(json.loads(want.document), indent=2, sort_keys=True) + "\n"
        else:
            body = etree.tostring(want.payload, pretty_print=True, encoding="unicode")
            body += etree.tostring(want.filter, pretty_print=True, encoding="unicode")
        parts.append(f"# role {want.role} on {want.device} over {want.protocol}\n{body}")
    return "".join(parts)


@pytest.mark.parametrize(
    ("spec_id", "values", "platforms"), CASES, ids=[c[0] + "." + next(iter(c[2].values())) for c in CASES]
)
def test_spec_renders_its_golden(spec_id: str, values: dict[str, Any], platforms: dict[str, str]) -> None:
    golden = GOLDEN / f"{spec_id}.{'+'.join(sorted(set(platforms.values())))}.txt"
    text = _text(_item(spec_id, values, platforms))
    if os.environ.get("ROM_UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text(), f"{golden.name} differs from its golden file"


def test_slice_core_is_one_item_on_two_devices() -> None:
    wanted = intended_for(
        Catalog.load(), _item("slice-core", SLICE_CORE, {"upf1": "rom-5gc", "smf1": "rom-5gc"})
    )
    assert [(w.role, w.device, w.protocol) for w in wanted] == [
        ("upf", "upf1", "netconf"),
        ("smf", "smf1", "netconf"),
    ]


EVIL_JSON = ['"}, {"path": "/", "value": {}}], "delete": ["/"], "x": [{"', "\\", "{{ 7*7 }}", "\u2028</x>"]


@pytest.mark.parametrize("evil", EVIL_JSON)
def test_json_injection_stays_data(evil: str) -> None:
    values = {**SRL, "description": evil}
    [want] = intended_for(Catalog.load(), _item("l3vpn-endpoint", values, {"pe1": "srlinux"}))
    assert want.document is not None
    doc = parse_document(want.document)
    assert [c.op for c in doc.changes] == ["update", "update", "update"]  # no extra delete/replace
    assert doc.changes[1].value["description"] == evil


def test_json_key_injection_cannot_change_the_path(tmp_path: Path) -> None:
    (tmp_path / "t.json.j2").write_text('{"delete": [[{"interface": {"name": {{ name | tojson }}}}]]}')
    text = render_text(tmp_path, "t.json.j2", {"name": "e1]/x[y=z"})
    [change] = parse_document(text).changes
    assert [e.name for e in change.path.elem] == ["interface"] and change.path.elem[0].key[
        "name"
    ] == "e1]/x[y=z"


@pytest.mark.parametrize(
    "body",
    ['{"a": "{{ x }}"}', '{"a": {{ x | safe }}}', '{"a": {{ x | e }}}', '{"a": {{ x | tojson ~ "" }}}'],
)
def test_json_templates_refuse_output_without_tojson(tmp_path: Path, body: str) -> None:
    (tmp_path / "t.json.j2").write_text(body)
    with pytest.raises(RomError, match="tojson"):
        render_text(tmp_path, "t.json.j2", {"x": "v"})


@pytest.mark.parametrize("evil", ["</name><config>x</config>", "{{ 7*7 }}", "a\"b'c&d"])
def test_xml_injection_stays_data(evil: str) -> None:
    values = {**L3VPN_VALUES, "description": evil}
    [want] = intended_for(Catalog.load(), _item("l3vpn-endpoint", values, {"pe1": "rom-router"}))
    texts = [el.text for el in want.payload.iter("{http://openconfig.net/yang/interfaces}description")]
    assert texts == [evil]
    assert len(want.payload.findall(".//{urn:ietf:params:xml:ns:netconf:base:1.0}config")) == 0
