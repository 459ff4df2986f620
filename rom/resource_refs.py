"""Item resources have an `id` and `href` from intake on (TMF652's ResourceRefOrValue requires both).

An `add` item's resource does not exist yet: ROM, which owns the inventory, allocates its id when
the order is accepted (an id or href the client put there is replaced), and the resource created
when the order completes keeps that id. Items on an existing resource get its href. Every item's
specification links to ROM's TMF634 catalog.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from typing import Any

from inventory.tmf634 import spec_href
from inventory.tmf639 import RESOURCE_PATH


def allocate_resource_ids(request: Mapping[str, Any]) -> dict[str, Any]:
    """The request with every item's `resource.id` and `resource.href` set, and its
    `resourceSpecification.href` the specification in ROM's TMF634 catalog."""
    out = copy.deepcopy(dict(request))
    for item in out.get("orderItem", []):
        spec = item.get("resourceSpecification")
        if isinstance(spec, dict) and spec.get("id"):
            spec["href"] = spec_href(str(spec["id"]))
        resource = item.setdefault("resource", {})
        if item.get("action") == "add":
            resource["id"] = str(uuid.uuid4())
        if resource.get("id"):
            resource["href"] = f"{RESOURCE_PATH}/{resource['id']}"
    return out


def allocated_id(doc: Mapping[str, Any], item_id: str) -> str | None:
    """The resource id allocated at intake for the order's item `item_id` (orders taken before
    intake allocated ids have none)."""
    for item in doc.get("orderItem", []):
        if item.get("id") == item_id:
            found = (item.get("resource") or {}).get("id")
            return str(found) if found else None
    return None
