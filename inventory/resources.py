"""TMF639 resource operations: create (adopt a resource into inventory), query, patch, delete.

Inventory changes never push configuration: a changed characteristic shows up as drift, and
`rom drift remediate` is how it reaches the device.
"""

from __future__ import annotations

import uuid
from typing import Any

import jsonpatch
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import outbox
from core.errors import InvalidRequest, NotFound
from core.events import RESOURCE_TOPIC, resource_event
from core.query import PageRequest, parse_filters, project, sorted_page
from intent.catalog import Catalog, validate_characteristics
from inventory.context import Context
from inventory.intake import reserve_resource
from inventory.ownership import check_resource_owners
from inventory.plain_resources import apply_plain, device_name, get_device_doc, refuse_device_change
from inventory.pools import release_resource
from inventory.records import PlainResource, Resource, list_devices
from inventory.resource_list import COLUMNS, listed
from inventory.tmf639 import (
    FREE_FIELDS,
    STATES,
    check_status_change,
    checked_name,
    checked_states,
    device_doc,
    is_extension,
    kept_fields,
    plain_doc,
    resource_doc,
)

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
    states, name = checked_states(doc), checked_name(doc)
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


def service_doc(catalog: Catalog, row: Resource) -> dict[str, Any]:
    """A resource's document, relying on the device of each of its specification's roles."""
    try:
        spec = catalog.get(row.spec_id)
    except NotFound:  # a specification since removed from the catalog
        return resource_doc(row)
    return resource_doc(
        row, [str(row.characteristics.get(r.device_characteristic, "")) for r in spec.roles.values()]
    )


def create_resource(ctx: Context, body: dict[str, Any], correlation_id: str) -> dict[str, Any]:
    """A resource of a catalog specification, or, without `resourceSpecification`, a plain one."""
    spec_ref = body.get("resourceSpecification")
    if "resourceSpecification" in body and (not isinstance(spec_ref, dict) or not spec_ref.get("id")):
        raise InvalidRequest("resourceSpecification must be an object with an id")
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
    if not isinstance(spec_ref, dict):
        return _create_plain(ctx, body, correlation_id)
    try:
        spec = ctx.catalog.get(str(spec_ref["id"]))
    except NotFound as exc:
        raise InvalidRequest(str(exc)) from None
    with ctx.transaction() as session:
        row = Resource(id=str(uuid.uuid4()), spec_id=spec.id, spec_version=spec.version, device="")
        _apply(session, ctx.catalog, row, {**DEFAULT_STATES, **body})
        check_resource_owners(ctx, session, row)  # 409: a repeat, or a path another resource owns
        row.characteristics = reserve_resource(session, spec, row.id, row.characteristics, again=False)
        session.add(row)
        session.flush()
        doc = service_doc(ctx.catalog, row)
        outbox.add_event(
            session, RESOURCE_TOPIC, row.id, resource_event("ResourceCreateEvent", doc, correlation_id)
        )
        return doc


def _create_plain(ctx: Context, body: dict[str, Any], correlation_id: str) -> dict[str, Any]:
    with ctx.transaction() as session:
        row = PlainResource(id=str(uuid.uuid4()))
        apply_plain(row, {**DEFAULT_STATES, **body})
        session.add(row)
        session.flush()
        doc = plain_doc(row)
        outbox.add_event(
            session, RESOURCE_TOPIC, row.id, resource_event("ResourceCreateEvent", doc, correlation_id)
        )
        return doc


def get_resource(ctx: Context, resource_id: str, fields: str | None = None) -> dict[str, Any]:
    with ctx.sessions() as session:
        if (device := device_name(resource_id)) is not None:
            return project(get_device_doc(session, device), fields)
        if (row := session.get(Resource, resource_id)) is not None:
            return project(service_doc(ctx.catalog, row), fields)
        if (plain := session.get(PlainResource, resource_id)) is not None:
            return project(plain_doc(plain), fields)
        raise NotFound(f"resource {resource_id} not found")


def list_resources_page(ctx: Context, page: PageRequest) -> tuple[list[dict[str, Any]], int]:
    """Every resource of the inventory: those of the catalog's specifications, plain ones, and
    the devices; filtered, sorted and paged together."""
    with ctx.sessions() as session:
        query, columns = listed(parse_filters(page.params, COLUMNS))
        query, total = sorted_page(session, query, columns, "name", page)
        keys = [(str(kind), str(rid)) for kind, rid in session.execute(query)]
        docs = _docs(session, ctx.catalog, keys)
        return [project(docs[k], page.fields) for k in keys], total


def _docs(
    session: Session, catalog: Catalog, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, Any]]:
    """The documents of (kind, id) keys, each kind read in one query."""
    wanted = {kind: [rid for k, rid in keys if k == kind] for kind in ("service", "plain", "device")}
    docs = {("service", r.id): service_doc(catalog, r) for r in _rows(session, Resource, wanted["service"])}
    docs |= {("plain", r.id): plain_doc(r) for r in _rows(session, PlainResource, wanted["plain"])}
    names = [device_name(rid) or "" for rid in wanted["device"]]
    docs |= {("device", d["id"]): d for d in map(device_doc, list_devices(session, names))}
    return docs


def _rows(session: Session, model: type[Any], ids: list[str]) -> list[Any]:
    return list(session.scalars(select(model).where(model.id.in_(ids)))) if ids else []


def patch_resource(
    ctx: Context, resource_id: str, patch: Any, json_patch: bool, correlation_id: str
) -> dict[str, Any]:
    refuse_device_change(resource_id)
    with ctx.transaction() as session:
        row = session.get(Resource, resource_id)
        plain = session.get(PlainResource, resource_id) if row is None else None
        if row is not None:
            before = service_doc(ctx.catalog, row)
        elif plain is not None:
            before = plain_doc(plain)
        else:
            raise NotFound(f"resource {resource_id} not found")
        try:
            after = jsonpatch.apply_patch(before, patch) if json_patch else merge_patch(before, patch)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError, ValueError) as exc:
            raise InvalidRequest(f"cannot apply the patch: {exc}") from None
        if not isinstance(after, dict):
            raise InvalidRequest("the patch must leave a JSON object")
        changed = [k for k in IMMUTABLE if after.get(k) != before.get(k)]
        if changed:
            raise InvalidRequest(f"read-only field(s) cannot change: {', '.join(changed)}")
        check_status_change(before.get("resourceStatus"), after.get("resourceStatus"))
        if row is not None:
            doc, rid = _patch_service(session, ctx.catalog, row, after), row.id
        else:
            assert plain is not None
            apply_plain(plain, after)
            doc, rid = plain_doc(plain), plain.id
        state_changed = any(before.get(f) != doc.get(f) for f in STATES)
        other_changed = any(before.get(k) != doc.get(k) for k in set(before) | set(doc) if k not in STATES)
        for happened, kind in (
            (state_changed, "ResourceStateChangeEvent"),
            (other_changed, "ResourceAttributeValueChangeEvent"),
        ):
            if happened:
                outbox.add_event(session, RESOURCE_TOPIC, rid, resource_event(kind, doc, correlation_id))
        return doc


def _patch_service(
    session: Session, catalog: Catalog, row: Resource, after: dict[str, Any]
) -> dict[str, Any]:
    before_values = dict(row.characteristics)
    _apply(session, catalog, row, after)
    if row.characteristics != before_values:  # Conflict if it takes another holder's value
        spec = catalog.get(row.spec_id)
        row.characteristics = reserve_resource(session, spec, row.id, row.characteristics, again=True)
    return service_doc(catalog, row)


def delete_resource(ctx: Context, resource_id: str, correlation_id: str) -> None:
    refuse_device_change(resource_id)
    with ctx.transaction() as session:
        if (row := session.get(Resource, resource_id)) is not None:
            remove_resource(session, row, correlation_id)
        elif (plain := session.get(PlainResource, resource_id)) is not None:
            session.delete(plain)
            event = resource_event("ResourceDeleteEvent", plain_doc(plain), correlation_id)
            outbox.add_event(session, RESOURCE_TOPIC, plain.id, event)
        else:
            raise NotFound(f"resource {resource_id} not found")


def remove_resource(session: Session, row: Resource, correlation_id: str) -> None:
    """Delete a resource in the caller's transaction: its reservations go back to the pools."""
    doc = resource_doc(row)
    release_resource(session, row.id)
    session.delete(row)
    event = resource_event("ResourceDeleteEvent", doc, correlation_id)
    outbox.add_event(session, RESOURCE_TOPIC, row.id, event)
