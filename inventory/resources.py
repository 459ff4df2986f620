"""TMF639 resource operations: create (adopt a resource into inventory), query, patch, delete.

Inventory changes never push configuration: a changed characteristic shows up as drift, and
`rom drift remediate` is how it reaches the device.
"""

from __future__ import annotations

import uuid
from typing import Any

import jsonpatch
from sqlalchemy.orm import Session

from core import outbox
from core.errors import InvalidRequest, NotFound
from core.events import RESOURCE_TOPIC, resource_event
from core.query import Column, PageRequest, fetch_page, project
from intent.catalog import Catalog, validate_characteristics
from inventory.context import Context
from inventory.intake import reserve_resource
from inventory.ownership import check_resource_owners
from inventory.pools import release_resource
from inventory.records import Resource, list_devices
from inventory.tmf639 import FREE_FIELDS, STATES, is_extension, kept_fields, resource_doc

COLUMNS = {
    "id": Column(Resource.id),
    "name": Column(Resource.name),
    "category": Column(Resource.category),
    "resourceSpecification.id": Column(Resource.spec_id),
    "administrativeState": Column(Resource.administrative_state),
    "operationalState": Column(Resource.operational_state),
    "resourceStatus": Column(Resource.resource_status),
    "usageState": Column(Resource.usage_state),
}
IMMUTABLE = ("id", "href", "@type", "resourceSpecification")
DEFAULT_STATES = {
    "administrativeState": "unlocked",
    "operationalState": "enable",
    "resourceStatus": "available",
    "usageState": "idle",
}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _characteristics(doc: dict[str, Any]) -> dict[str, Any]:
    chars = doc.get("resourceCharacteristic") or []
    if not isinstance(chars, list) or not all(
        isinstance(c, dict) and "name" in c and "value" in c for c in chars
    ):
        raise InvalidRequest("resourceCharacteristic must be a list of {name, value}")
    values = {str(c["name"]): c["value"] for c in chars}
    if len(values) != len(chars):
        raise InvalidRequest("resourceCharacteristic names must be unique")
    return values


def _apply(session: Session, catalog: Catalog, row: Resource, doc: dict[str, Any]) -> None:
    """Validate a whole TMF639 document and write it onto `row`; raises before touching it."""
    spec = catalog.get(row.spec_id)
    values = validate_characteristics(spec, _characteristics(doc))
    device = values[spec.device_characteristic]
    platforms = {d.name: d.platform for d in list_devices(session, [device])}
    if device not in platforms:
        raise InvalidRequest(f"device {device!r} is not in the inventory")
    spec.binding(platforms[device])
    if row.device and device != row.device:
        raise InvalidRequest(
            f"characteristic {spec.device_characteristic!r} cannot change (resource is on {row.device})"
        )
    states = {}
    for field, (attr, allowed) in STATES.items():
        value = doc.get(field)
        if not isinstance(value, str) or value not in allowed:
            raise InvalidRequest(f"{field} must be one of {', '.join(sorted(allowed))}, got {value!r}")
        states[attr] = value
    name = doc.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidRequest("name is required and must be a string")
    row.name, row.category, row.device, row.characteristics = (
        name,
        str(doc.get("category") or ""),
        device,
        values,
    )
    if states.get("resource_status", row.resource_status) != row.resource_status:
        row.status_by = ""  # set through the API: reconciliation leaves it alone (drift.monitor)
    for attr, value in states.items():
        setattr(row, attr, value)
    row.extra = kept_fields(doc)


def create_resource(ctx: Context, body: dict[str, Any], correlation_id: str) -> dict[str, Any]:
    spec_ref = body.get("resourceSpecification")
    if not isinstance(spec_ref, dict) or not spec_ref.get("id"):
        raise InvalidRequest("resourceSpecification.id is required")
    try:
        spec = ctx.catalog.get(str(spec_ref["id"]))
    except NotFound as exc:
        raise InvalidRequest(str(exc)) from None
    unknown = sorted(
        set(body)
        - FREE_FIELDS
        - set(STATES)
        - {"name", "category", "resourceCharacteristic", "resourceSpecification", "@type"}
        - {"id", "href"}  # the swagger requires them in a create, yet says skipped: ROM assigns them
    )
    if unknown and not is_extension(body):
        raise InvalidRequest(
            f"unknown field(s): {', '.join(unknown)} (attributes beyond the TMF639 Resource need an "
            "@type naming an extension of it, TMF630)"
        )
    body = {k: v for k, v in body.items() if k not in ("id", "href")}
    with ctx.transaction() as session:
        row = Resource(id=str(uuid.uuid4()), spec_id=spec.id, spec_version=spec.version, device="")
        _apply(session, ctx.catalog, row, {**DEFAULT_STATES, **body})
        check_resource_owners(ctx, session, row)  # 409: a repeat, or a path another resource owns
        row.characteristics = reserve_resource(session, spec, row.id, row.characteristics, again=False)
        session.add(row)
        session.flush()
        doc = resource_doc(row)
        outbox.add_event(
            session, RESOURCE_TOPIC, row.id, resource_event("ResourceCreateEvent", doc, correlation_id)
        )
        return doc


def get_resource(ctx: Context, resource_id: str, fields: str | None = None) -> dict[str, Any]:
    with ctx.sessions() as session:
        row = session.get(Resource, resource_id)
        if row is None:
            raise NotFound(f"resource {resource_id} not found")
        return project(resource_doc(row), fields)


def list_resources_page(ctx: Context, page: PageRequest) -> tuple[list[dict[str, Any]], int]:
    with ctx.sessions() as session:
        return fetch_page(session, Resource, COLUMNS, "name", page, resource_doc)


def patch_resource(
    ctx: Context, resource_id: str, patch: Any, json_patch: bool, correlation_id: str
) -> dict[str, Any]:
    with ctx.transaction() as session:
        row = session.get(Resource, resource_id)
        if row is None:
            raise NotFound(f"resource {resource_id} not found")
        before, before_values = resource_doc(row), dict(row.characteristics)
        try:
            after = jsonpatch.apply_patch(before, patch) if json_patch else merge_patch(before, patch)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError, ValueError) as exc:
            raise InvalidRequest(f"cannot apply the patch: {exc}") from None
        if not isinstance(after, dict):
            raise InvalidRequest("the patch must leave a JSON object")
        changed = [k for k in IMMUTABLE if after.get(k) != before.get(k)]
        if changed:
            raise InvalidRequest(f"read-only field(s) cannot change: {', '.join(changed)}")
        _apply(session, ctx.catalog, row, after)
        if row.characteristics != before_values:  # Conflict if it takes another holder's value
            spec = ctx.catalog.get(row.spec_id)
            row.characteristics = reserve_resource(session, spec, row.id, row.characteristics, again=True)
        doc = resource_doc(row)
        state_changed = any(before.get(f) != doc.get(f) for f in STATES)
        other_changed = any(before.get(k) != doc.get(k) for k in set(before) | set(doc) if k not in STATES)
        for happened, kind in (
            (state_changed, "ResourceStateChangeEvent"),
            (other_changed, "ResourceAttributeValueChangeEvent"),
        ):
            if happened:
                outbox.add_event(session, RESOURCE_TOPIC, row.id, resource_event(kind, doc, correlation_id))
        return doc


def delete_resource(ctx: Context, resource_id: str, correlation_id: str) -> None:
    with ctx.transaction() as session:
        row = session.get(Resource, resource_id)
        if row is None:
            raise NotFound(f"resource {resource_id} not found")
        remove_resource(session, row, correlation_id)


def remove_resource(session: Session, row: Resource, correlation_id: str) -> None:
    """Delete a resource in the caller's transaction: its reservations go back to the pools."""
    doc = resource_doc(row)
    release_resource(session, row.id)
    session.delete(row)
    event = resource_event("ResourceDeleteEvent", doc, correlation_id)
    outbox.add_event(session, RESOURCE_TOPIC, row.id, event)
