"""TMF639 representation of inventory resources, and the fields a client may set (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.errors import InvalidRequest, Unprocessable
from inventory.records import Device, PlainResource, Resource

RESOURCE_PATH = "/tmf-api/resourceInventoryManagement/v4/resource"
# The resourceStatus lifecycle: from a status (key), the statuses a change may lead to, and why
# the others are refused (422). A status is always kept (a no-op). tmf-lint's table (after
# TMF639 v4 §5.1), with `unknown` reachable from available and alarm: ROM's reconciliation sets
# it when a device cannot be read (drift.monitor changes only available, alarm and unknown).
STATUS_CHANGES: dict[str, tuple[frozenset[str], str]] = {
    "available": (frozenset({"reserved", "standby", "alarm", "suspended", "unknown"}), ""),
    "reserved": (
        frozenset({"available", "suspended"}),
        "a reserved resource carries no service yet; release it (available) first",
    ),
    "standby": (
        frozenset({"available", "suspended"}),
        "a resource on standby carries no service; bring it into service (available) first",
    ),
    "alarm": (
        frozenset({"available", "suspended", "unknown"}),
        "clear the alarm (available) first",
    ),
    "unknown": (
        frozenset({"available", "standby", "alarm", "suspended"}),
        "reserve it once it is known to be available",
    ),
    "suspended": (
        frozenset({"available"}),
        "a suspended resource is out of service on purpose, and only releasing it (available) ends that",
    ),
}
STATES = {
    "administrativeState": ("administrative_state", frozenset({"locked", "unlocked", "shutdown"})),
    "operationalState": ("operational_state", frozenset({"enable", "disable"})),
    "resourceStatus": ("resource_status", frozenset(STATUS_CHANGES)),
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
DEVICE_PREFIX = "device-"
DEVICE_CATEGORY = "device"
# What ROM knows of a device: it manages it. Reachability is telemetry's and drift's to report.
DEVICE_STATES = {
    "administrativeState": "unlocked",
    "operationalState": "enable",
    "resourceStatus": "available",
    "usageState": "active",
}
NETWORK_FUNCTIONS = frozenset({"upf", "smf", "amf", "nrf", "ausf", "udm", "pcf", "nssf", "5gc"})


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


def checked_states(doc: dict[str, Any]) -> dict[str, str]:
    """The four TMF639 states of a whole document, by column name; each must be in its enumeration."""
    states = {}
    for field, (attr, allowed) in STATES.items():
        value = doc.get(field)
        if not isinstance(value, str) or value not in allowed:
            raise InvalidRequest(f"{field} must be one of {', '.join(sorted(allowed))}, got {value!r}")
        states[attr] = value
    return states


def check_status_change(before: Any, after: Any) -> None:
    """Unprocessable (422) when a change of resourceStatus leaves the lifecycle (STATUS_CHANGES);
    values outside the enumeration are `checked_states`' to refuse."""
    if before == after or before not in STATUS_CHANGES or after not in STATUS_CHANGES:
        return
    allowed, why = STATUS_CHANGES[before]
    if after not in allowed:
        raise Unprocessable(
            f"resourceStatus cannot change from {before} to {after}: {why} "
            f"(from {before}: {', '.join(sorted(allowed))})"
        )


def checked_name(doc: dict[str, Any]) -> str:
    name = doc.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidRequest("name is required and must be a string")
    return name


def device_resource_id(device: str) -> str:
    """A device's TMF639 resource id: its inventory name behind a prefix ROM's uuids never have."""
    return f"{DEVICE_PREFIX}{device}"


def device_ref(device: str) -> dict[str, Any]:
    rid = device_resource_id(device)
    return {"id": rid, "href": f"{RESOURCE_PATH}/{rid}", "name": device, "@referredType": "Resource"}


def _relationships(given: Any, devices: Sequence[str]) -> list[Any]:
    """The client's relationships as given, then `reliesOn` each device the resource is configured
    on (unless the client already named it)."""
    kept = list(given) if isinstance(given, list) else []
    named = {
        r["resource"].get("id") for r in kept if isinstance(r, dict) and isinstance(r.get("resource"), dict)
    }
    ours = [
        {"relationshipType": "reliesOn", "resource": device_ref(d)}
        for d in dict.fromkeys(devices)
        if d and device_resource_id(d) not in named
    ]
    return kept + ours


def resource_doc(resource: Resource, devices: Sequence[str] = ()) -> dict[str, Any]:
    """A resource's TMF639 document; it relies on its device and on `devices` (its other roles')."""
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
    doc["resourceRelationship"] = _relationships(doc["resourceRelationship"], [resource.device, *devices])
    return doc


def plain_doc(row: PlainResource) -> dict[str, Any]:
    """A resource recorded without a catalog specification: its columns and what was given."""
    return {
        "id": row.id,
        "href": f"{RESOURCE_PATH}/{row.id}",
        "@type": "Resource",
        "@baseType": "Resource",
        "name": row.name,
        "category": row.category,
        "administrativeState": row.administrative_state,
        "operationalState": row.operational_state,
        "resourceStatus": row.resource_status,
        "usageState": row.usage_state,
        **(row.doc or {}),
    }


def device_type(device: Device) -> str:
    """Network functions are software (LogicalResource); routers and radios are boxes."""
    return "LogicalResource" if device.role.lower() in NETWORK_FUNCTIONS else "PhysicalResource"


def device_doc(device: Device) -> dict[str, Any]:
    """A managed device as a TMF639 resource (read-only: `rom inventory import` writes devices)."""
    protocols = ["netconf", *(["gnmi"] if device.gnmi_port else [])]
    chars: list[tuple[str, Any, str]] = [
        ("platform", device.platform, "string"),
        ("role", device.role, "string"),
        ("managementAddress", device.host, "string"),
        ("netconfPort", device.port, "integer"),
        *([("gnmiPort", device.gnmi_port, "integer")] if device.gnmi_port else []),
        ("protocols", protocols, "array"),
        ("source", device.source, "string"),
    ]
    rid = device_resource_id(device.name)
    return {
        "id": rid,
        "href": f"{RESOURCE_PATH}/{rid}",
        "@type": device_type(device),
        "@baseType": "Resource",
        "name": device.name,
        "category": DEVICE_CATEGORY,
        "description": f"{device.role or 'device'} on platform {device.platform}",
        "resourceCharacteristic": [{"name": n, "value": v, "valueType": t} for n, v, t in chars],
        **DEVICE_STATES,
        "resourceRelationship": [],
    }
