"""modify / delete / noChange items, dependsOn ordering, and the edits they push (pure)."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from core.errors import InvalidRequest, Unprocessable
from core.tmf652 import ResourceOrderCreate
from intent.catalog import Catalog
from intent.edits import order_edits
from intent.planner import (
    CurrentResource,
    commit_waves,
    execution_groups,
    intended_state,
    modified_ids,
    plan_order,
)
from intent.tree import NC_OPERATION, apply_edit

PLATFORMS = {"pe1": "rom-router", "pe2": "rom-router"}
OC_NI = "{http://openconfig.net/yang/network-instance}"
OC_IF = "{http://openconfig.net/yang/interfaces}"


def _order(*items: dict[str, Any]) -> ResourceOrderCreate:
    return ResourceOrderCreate.model_validate({"orderItem": list(items)})


def _chars(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": k, "value": v} for k, v in values.items()]


def _add(item_id: str, values: dict[str, Any], depends: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "id": item_id,
        "action": "add",
        "resourceSpecification": {"id": "l3vpn-endpoint"},
        "resource": {"resourceCharacteristic": _chars(values)},
        "orderItemRelationship": [{"id": d, "relationshipType": "dependsOn"} for d in depends],
    }


def _on(action: str, resource_id: str | None, values: dict[str, Any] | None = None) -> dict[str, Any]:
    resource: dict[str, Any] = {"id": resource_id} if resource_id else {}
    if values:
        resource["resourceCharacteristic"] = _chars(values)
    return {"id": "m", "action": action, "resource": resource}


@pytest.fixture
def current(l3vpn_values: dict[str, Any]) -> dict[str, CurrentResource]:
    values = {**l3vpn_values, "description": "old"}
    return {"r-1": CurrentResource("l3vpn-endpoint", "old-name", values)}


def test_modify_merges_over_the_inventory_values(current: dict[str, CurrentResource]) -> None:
    order = _order(_on("modify", "r-1", {"description": "changed"}))
    assert modified_ids(order) == ["r-1"]
    [item] = plan_order(order, Catalog.load(), PLATFORMS, current)
    assert (item.action, item.resource_id, item.resource_name) == ("modify", "r-1", "old-name")
    assert item.values["description"] == "changed"
    assert item.before is not None and item.before["description"] == "old"


@pytest.mark.parametrize(
    ("item", "error", "problem"),
    [
        (_on("modify", None, {"description": "x"}), InvalidRequest, "modify needs resource.id"),
        (_on("delete", "r-9"), Unprocessable, "resource r-9 is not in the inventory"),
        (_on("modify", "r-1", {"device": "pe2"}), Unprocessable, "modify cannot change device"),
        (_on("modify", "r-1", {"vlanId": 101}), Unprocessable, "modify cannot change vlanId"),
        (_on("modify", "r-1", {"vrfName": "OTHER"}), Unprocessable, "modify cannot change vrfName"),
        (
            _on("delete", "r-1", {"description": "x"}),
            InvalidRequest,
            "delete takes no resourceCharacteristic",
        ),
        (_on("modify", "r-1", {"vlanId": "x"}), InvalidRequest, "must be an integer"),
    ],
)
def test_refusals(
    current: dict[str, CurrentResource], item: dict[str, Any], error: type, problem: str
) -> None:
    with pytest.raises(error, match=problem):
        plan_order(_order(item), Catalog.load(), PLATFORMS, current)


def test_one_resource_two_items(current: dict[str, CurrentResource]) -> None:
    items = [_on("delete", "r-1"), {**_on("noChange", "r-1"), "id": "n"}]
    with pytest.raises(InvalidRequest, match="more than one orderItem"):
        plan_order(_order(*items), Catalog.load(), PLATFORMS, current)


def test_depends_on_is_checked(l3vpn_values: dict[str, Any]) -> None:
    other = {**l3vpn_values, "vlanId": 200}
    cases = [
        ((_add("a", l3vpn_values, ("zz",)),), "dependsOn unknown orderItem 'zz'"),
        ((_add("a", l3vpn_values, ("a",)),), "depends on itself"),
        ((_add("a", l3vpn_values, ("b",)), _add("b", other, ("a",))), "cycle: a -> b -> a"),
    ]
    for items, problem in cases:
        with pytest.raises(InvalidRequest, match=problem):
            plan_order(_order(*items), Catalog.load(), PLATFORMS)


def test_commit_waves_follow_dependencies(l3vpn_values: dict[str, Any]) -> None:
    order = _order(
        _add("ran", {**l3vpn_values, "device": "pe2"}, ("transport",)),
        _add("transport", l3vpn_values),
    )
    assert commit_waves(plan_order(order, Catalog.load(), PLATFORMS)) == [{"pe1"}, {"pe2"}]


def _shape(node: etree._Element) -> tuple[Any, ...]:
    """A tree's content without namespace declarations or whitespace."""
    return (node.tag, (node.text or "").strip(), [_shape(c) for c in node if isinstance(c.tag, str)])


def _resulting_config(edits: list[Any], start: etree._Element, catalog: Catalog) -> etree._Element:
    tree = start
    for edit in edits:
        tree = apply_edit(tree, edit.payload, edit.filter)
    return tree


def _config(catalog: Catalog, *value_sets: dict[str, Any]) -> etree._Element:
    spec = catalog.get("l3vpn-endpoint")
    tree = etree.Element("data")
    for values in value_sets:
        want = intended_state(catalog, spec, "pe1", "rom-router", values)
        tree = apply_edit(tree, want.payload, want.filter)
    return tree


def test_delete_keeps_a_shared_vrf(l3vpn_values: dict[str, Any], current: dict[str, CurrentResource]) -> None:
    catalog = Catalog.load()
    mine = dict(current["r-1"].characteristics)
    sibling = {**mine, "vlanId": 200, "ipv4Address": "192.0.2.9"}
    spec = catalog.get("l3vpn-endpoint")
    plan = order_edits(
        catalog,
        plan_order(_order(_on("delete", "r-1")), catalog, PLATFORMS, current),
        {"pe1": [intended_state(catalog, spec, "pe1", "rom-router", sibling)]},
    )
    assert plan.verify == [] and plan.devices == ["pe1"]
    after = _resulting_config(plan.edits, _config(catalog, mine, sibling), catalog)
    assert _shape(after) == _shape(_config(catalog, sibling))


def test_delete_alone_removes_the_vrf(current: dict[str, CurrentResource]) -> None:
    catalog = Catalog.load()
    mine = dict(current["r-1"].characteristics)
    plan = order_edits(catalog, plan_order(_order(_on("delete", "r-1")), catalog, PLATFORMS, current), {})
    after = _resulting_config(plan.edits, _config(catalog, mine), catalog)
    assert after.find(f"{OC_NI}network-instances/{OC_NI}network-instance") is None
    assert after.find(f".//{OC_IF}subinterface") is None
    operations = {e.get(NC_OPERATION) for e in plan.edits[0].payload.iter() if e.get(NC_OPERATION)}
    assert operations == {"delete"}


def test_modify_replaces_the_entries(current: dict[str, CurrentResource]) -> None:
    catalog = Catalog.load()
    mine = dict(current["r-1"].characteristics)
    order = _order(_on("modify", "r-1", {"description": "new", "routeDistinguisher": "65000:999"}))
    plan = order_edits(catalog, plan_order(order, catalog, PLATFORMS, current), {})
    after = _resulting_config(plan.edits, _config(catalog, mine), catalog)
    changed = {**mine, "description": "new", "routeDistinguisher": "65000:999"}
    assert _shape(after) == _shape(_config(catalog, changed))


def test_gnmi_delete_deletes_the_owned_paths() -> None:
    catalog = Catalog.load()
    values = {
        "device": "r1",
        "interface": "Ethernet1",
        "queueName": "slice-1",
        "priority": 3,
        "bandwidthMbps": 100,
        "burstBytes": 1500,
        "schedulerSequence": 1,
    }
    spec = catalog.get("transport-qos")
    values = {k: v for k, v in values.items() if k in spec.characteristics}
    current = {"q-1": CurrentResource("transport-qos", "q", values)}
    platform = next(iter(spec.platforms))
    items = plan_order(_order(_on("delete", "q-1")), catalog, {"r1": platform}, current)
    [edit] = order_edits(catalog, items, {}).edits
    assert edit.protocol == "gnmi" and edit.document is not None
    assert '"delete"' in edit.document and "slice-1" in edit.document and '"update"' not in edit.document


def test_execution_groups(l3vpn_values: dict[str, Any]) -> None:
    platforms = {**PLATFORMS, "pe3": "rom-router"}
    order = _order(
        _add("a", l3vpn_values),
        _add("b", {**l3vpn_values, "vlanId": 200}),  # same device as a
        _add("c", {**l3vpn_values, "device": "pe2"}),
        _add("d", {**l3vpn_values, "device": "pe3"}, ("c",)),  # depends on c
    )
    items = plan_order(order, Catalog.load(), platforms)
    grouped = [[i.item_id for i in g] for g in execution_groups(items, partial=True)]
    assert sorted(grouped) == [["a", "b"], ["c", "d"]]
    assert [[i.item_id for i in g] for g in execution_groups(items, partial=False)] == [["a", "b", "c", "d"]]
