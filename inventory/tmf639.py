"""TMF639 representation of inventory resources, and the fields a client may set (pure)."""

from __future__ import annotations

from typing import Any

from inventory.records import Resource

RESOURCE_PATH = "/tmf-api/resourceInventoryManagement/v4/resource"
STATES = {
    "administrativeState": ("administrative_state", frozenset({"locked", "unlocked", "shutdown"})),
    "operationalState": ("operational_state", frozenset({"enable", "disable"})),
    "resourceStatus": (
        "resource_status",
        frozenset({"standby", "alarm", "available", "reserved", "unknown", "suspended"}),
    ),
    "usageState": ("usage_state", frozenset({"idle", "active", "busy"})),
}
# Kept as given: TMF639 fields ROM stores but does not interpret.
FREE_FIELDS = frozenset(
    {
        "description",
        "note",
        "place",
        "relatedParty",
        "resourceRelationship",
        "startOperatingDate",
        "endOperatingDate",
        "resourceVersion",
        "attachment",
        "activationFeature",
        "@baseType",
        "@schemaLocation",
    }
)


def resource_doc(resource: Resource) -> dict[str, Any]:
    doc: dict[str, Any] = {
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
    }
    if resource.order_id:
        doc["note"] = [
            {"text": f"created by resourceOrder {resource.order_id} item {resource.order_item_id}"}
        ]
    doc.update(resource.extra or {})
    return doc
