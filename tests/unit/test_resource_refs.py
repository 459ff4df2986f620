"""Item resources get their id and href at intake (rom/resource_refs.py)."""

from __future__ import annotations

from inventory.tmf639 import RESOURCE_PATH
from rom.resource_refs import allocate_resource_ids, allocated_id


def test_add_items_get_a_new_id_others_keep_theirs_and_all_get_an_href() -> None:
    request = {
        "orderItem": [
            {"id": "1", "action": "add", "resource": {"id": "client", "href": "/x", "name": "n"}},
            {"id": "2", "action": "add"},
            {"id": "3", "action": "modify", "resource": {"id": "r-3"}},
        ]
    }
    out = allocate_resource_ids(request)
    first, second, third = (i["resource"] for i in out["orderItem"])
    assert first["id"] != "client" and first["name"] == "n" and second["id"] != first["id"]
    assert third == {"id": "r-3", "href": f"{RESOURCE_PATH}/r-3"}
    assert all(r["href"] == f"{RESOURCE_PATH}/{r['id']}" for r in (first, second))
    assert request["orderItem"][0]["resource"]["id"] == "client", "the input is left alone"
    assert allocated_id(out, "2") == second["id"] and allocated_id(out, "9") is None
    assert allocated_id({"orderItem": [{"id": "1"}]}, "1") is None


def test_item_specifications_link_to_the_catalog() -> None:
    request = {"orderItem": [{"id": "1", "action": "add", "resourceSpecification": {"id": "l3vpn-endpoint"}}]}
    spec = allocate_resource_ids(request)["orderItem"][0]["resourceSpecification"]
    assert spec == {
        "id": "l3vpn-endpoint",
        "href": "/tmf-api/resourceCatalog/v4/resourceSpecification/l3vpn-endpoint",
    }
