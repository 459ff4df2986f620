"""TMF639 resources recorded without a specification of ROM's catalog, and devices as resources.

A plain resource is kept and reported as given (with its states checked); ROM configures and
reconciles nothing from it. Devices are read here, never written: `rom inventory import` and the
lab write the device records.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidRequest, NotFound
from inventory.records import Device, PlainResource
from inventory.tmf639 import DEVICE_PREFIX, checked_name, checked_states, device_doc

# Columns of a plain resource; everything else in its document is kept in `doc`, as given.
COLUMNS = (
    "id",
    "href",
    "name",
    "category",
    "administrativeState",
    "operationalState",
    "resourceStatus",
    "usageState",
)


def apply_plain(row: PlainResource, doc: dict[str, Any]) -> None:
    """Validate a whole document and write it onto `row`; raises before touching it."""
    chars = doc.get("resourceCharacteristic", [])
    if not isinstance(chars, list) or not all(
        isinstance(c, dict) and "name" in c and "value" in c for c in chars
    ):
        raise InvalidRequest("resourceCharacteristic must be a list of {name, value}")
    states, name = checked_states(doc), checked_name(doc)
    category = doc.get("category", "")
    if not isinstance(category, str):
        raise InvalidRequest("category must be a string")
    row.name, row.category = name, category
    for attr, value in states.items():
        setattr(row, attr, value)
    row.doc = {k: v for k, v in doc.items() if k not in COLUMNS}


def device_name(resource_id: str) -> str | None:
    """The device a resource id names, if it is a device's."""
    return resource_id.removeprefix(DEVICE_PREFIX) if resource_id.startswith(DEVICE_PREFIX) else None


def get_device_doc(session: Session, name: str) -> dict[str, Any]:
    device = session.get(Device, name)
    if device is None:
        raise NotFound(f"resource {DEVICE_PREFIX}{name} not found")
    return device_doc(device)


def refuse_device_change(resource_id: str) -> None:
    """Devices are written by `rom inventory import`, which also gives them their credentials."""
    if (name := device_name(resource_id)) is not None:
        raise Conflict(
            f"resource {resource_id} is the device {name!r}: devices change through `rom inventory import`"
        )
