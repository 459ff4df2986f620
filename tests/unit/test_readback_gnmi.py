"""gNMI read-back comparison (pure): what drift reports for a changed leaf and a deleted subtree."""

from __future__ import annotations

import json

from lxml import etree

from drivers.gnmi_payload import parse_document
from intent.planner import Intended
from intent.readback import differences

CONFIG: dict[str, object] = {"name": "Q", "priority": 5, "cir": "1000000", "enabled": True}
QUEUE = {"name": "Q", "config": CONFIG}
DOCUMENT = json.dumps(
    {"replace": [{"path": ["openconfig-qos:qos", "queues", {"queue": {"name": "Q"}}], "value": QUEUE}]}
)
WANT = Intended("pe1", etree.Element("config"), etree.Element("filter"), "gnmi", DOCUMENT)
PATH = parse_document(DOCUMENT).changes[0].text


def test_a_changed_leaf_names_both_values() -> None:
    held = {"openconfig-qos:name": "Q", "config": {**CONFIG, "priority": 2, "enabled": False}}
    found = [(d.kind, d.path, d.intended, d.actual) for d in differences(WANT, {PATH: held})]
    assert found == [
        ("changed", f"{PATH}/config/enabled", "true", "false"),
        ("changed", f"{PATH}/config/priority", "5", "2"),
    ]


def test_a_deleted_subtree_is_one_missing_row_and_the_same_is_in_sync() -> None:
    assert [(d.kind, d.path) for d in differences(WANT, {PATH: None})] == [("missing", PATH)]
    assert [(d.kind, d.path) for d in differences(WANT, {})] == [("missing", PATH)]
    assert differences(WANT, {PATH: json.loads(json.dumps(QUEUE))}) == []
