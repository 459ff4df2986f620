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

# What ROM models itself (columns); the rest of a document is kept in `extra` (see `kept_fields`).
MODELLED = frozenset(
    {"id", "href", "name", "category", "resourceSpecification", "resourceCharacteristic", *STATES}
)
BASE_TYPES = frozenset({"Resource", "LogicalResource", "PhysicalResource"})


def is_extension(doc: dict[str, Any]) -> bool:
    """Whether `@type` names an extension of TMF639's Resource (TMF630 polymorphism)."""
    return isinstance(doc.get("@type"), str) and doc["@type"] not in BASE_TYPES


def kept_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """What a resource keeps besides its columns: the free TMF639 fields, its `@type`, and when
    that names an extension, every attribute beyond the TMF639 model, as given."""
    extension = is_extension(doc)
    return {
        k: v for k, v in doc.items() if k in FREE_FIELDS or k == "@type" or (extension and k not in MODELLED)
    }


def resource_doc(resource: Resource) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": resource.id,
        "href": f"{RESOURCE_PATH}/{resource.id}",
        "@type": "LogicalResource",
        "@baseType": "Resource",
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
