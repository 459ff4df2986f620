"""TMF639 representation of inventory resources (pure)."""

from __future__ import annotations

from typing import Any

from inventory.store import Resource

RESOURCE_PATH = "/tmf-api/resourceInventoryManagement/v4/resource"


def resource_doc(resource: Resource) -> dict[str, Any]:
    return {
        "id": resource.id,
        "href": f"{RESOURCE_PATH}/{resource.id}",
        "@type": "LogicalResource",
        "name": resource.name,
        "category": resource.category,
        "resourceSpecification": {"id": resource.spec_id, "version": resource.spec_version},
        "resourceCharacteristic": [{"name": k, "value": v} for k, v in resource.characteristics.items()],
        "administrativeState": resource.administrative_state,
        "operationalState": resource.operational_state,
        "resourceStatus": resource.resource_status,
        "usageState": resource.usage_state,
        "resourceRelationship": [],
        "note": [{"text": f"created by resourceOrder {resource.order_id} item {resource.order_item_id}"}],
    }
