"""The TMF639 inventory store: devices and the resources orders create (SQLAlchemy)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import JSON, ForeignKey, String, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, Prepared, UtcDateTime, numbered, numbered_in, table, utcnow


class Device(Base):
    """A managed network element and how to reach it (no secrets stored here)."""

    __tablename__ = "devices"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int]  # NETCONF
    gnmi_port: Mapped[int | None] = mapped_column(default=None)
    platform: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(64), default="")
    source: Mapped[str] = mapped_column(String(255), default="")
    # the name of its credentials (core/secrets.py resolves it at use); "" = the settings' default
    credentials: Mapped[str] = mapped_column(String(64), default="", server_default="")


class Resource(Base):
    """A TMF639 resource: what an order item created on a device, with its intended parameters."""

    __tablename__ = "resources"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    category: Mapped[str] = mapped_column(String(64), default="")
    spec_id: Mapped[str] = mapped_column(String(128))
    spec_version: Mapped[str] = mapped_column(String(32), default="")
    device: Mapped[str] = mapped_column(ForeignKey("devices.name"))
    characteristics: Mapped[dict[str, Any]] = mapped_column(JSON)
    administrative_state: Mapped[str] = mapped_column(String(16), default="unlocked")
    operational_state: Mapped[str] = mapped_column(String(16), default="enable")
    resource_status: Mapped[str] = mapped_column(String(16), default="available")
    # "drift" when reconciliation set resource_status: it only clears what it set itself, so an
    # SLA alarm (set through the API) survives an in-sync reconciliation
    status_by: Mapped[str] = mapped_column(String(16), default="")
    usage_state: Mapped[str] = mapped_column(String(16), default="active")
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # other TMF639 fields, as given
    order_id: Mapped[str] = mapped_column(String(64), default="")
    order_item_id: Mapped[str] = mapped_column(String(64), default="")
    created: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class PlainResource(Base):
    """A TMF639 resource recorded without a specification of ROM's catalog (a card, a port, a
    licence, ...): kept and reported as given, never configured or reconciled."""

    __tablename__ = "plain_resources"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    category: Mapped[str] = mapped_column(String(64), default="")
    administrative_state: Mapped[str] = mapped_column(String(16), default="unlocked")
    operational_state: Mapped[str] = mapped_column(String(16), default="enable")
    resource_status: Mapped[str] = mapped_column(String(16), default="available")
    usage_state: Mapped[str] = mapped_column(String(16), default="idle")
    doc: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the other TMF639 fields, as given
    created: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


def upsert_device(session: Session, device: Device) -> None:
    session.merge(device)


def list_devices(session: Session, names: list[str] | None = None) -> list[Device]:
    query = select(Device).order_by(Device.name)
    if names is not None:
        query = query.where(Device.name.in_(names))
    return list(session.scalars(query))


class DeviceRow(NamedTuple):
    """How to reach a device (what `Context.target` reads), read without the ORM."""

    name: str
    host: str
    port: int
    gnmi_port: int | None
    platform: str
    credentials: str


def device_rows(session: Session, names: Sequence[str]) -> list[DeviceRow]:
    """The named devices the inventory holds, by name: one statement, no ORM object."""
    size, params = numbered("n", sorted(set(names)))
    return [DeviceRow(*row) for row in _devices_named(size).execute(session, params)] if size else []


@lru_cache(maxsize=64)
def _devices_named(size: int) -> Prepared:
    """For `size` device names (`numbered` "n"): built and compiled once each; strings and
    integers, so no result types."""
    d = table(Device).c
    columns = (d.name, d.host, d.port, d.gnmi_port, d.platform, d.credentials)
    return Prepared(select(*columns).where(d.name.in_(numbered_in("n", size))).order_by(d.name))


def new_resource(**given: Any) -> Resource:
    """A resource not yet in any session, every column set (the columns' own defaults for those
    not given, as an ORM insert would fill them in): what `add_resource` writes and
    `tmf639.resource_doc` reads."""
    defaults = {
        c.key: _default(c) for c in table(Resource).columns if c.default is not None and c.key not in given
    }
    return Resource(**defaults, **given)


def _default(column: Any) -> Any:
    default = column.default
    return default.arg(None) if default.is_callable else default.arg  # a callable takes a context


def add_resource(session: Session, resource: Resource) -> None:
    """Insert a `new_resource` now, in the caller's transaction (no ORM unit of work; the
    object stays out of the session)."""
    _ADD_RESOURCE.execute(session, {c: getattr(resource, c) for c in _RESOURCE_COLUMNS})


_RESOURCE_COLUMNS = [c.name for c in table(Resource).columns]
_ADD_RESOURCE = Prepared(insert(table(Resource)), _RESOURCE_COLUMNS)


def device_platforms(session: Session) -> dict[str, str]:
    """Every device's platform by its name."""
    return {name: platform for name, platform in _PLATFORMS.execute(session, {})}


_PLATFORMS = Prepared(select(table(Device).c.name, table(Device).c.platform))  # two strings: no result types


class ResourceRow(NamedTuple):
    """What the order path and drift read of a resource to render it: a plain row, not an ORM
    object (no identity map, no unit of work to set up per row)."""

    id: str
    name: str
    spec_id: str
    device: str
    characteristics: dict[str, Any]
    updated: datetime | None  # None: not written yet (a TMF639 create being checked)

    @classmethod
    def of(cls, r: Resource) -> ResourceRow:
        return cls(r.id, r.name, r.spec_id, r.device, r.characteristics or {}, r.updated)


RESOURCE_ROW = select(*(table(Resource).c[name] for name in ResourceRow._fields)).order_by(
    table(Resource).c.created, table(Resource).c.id
)  # oldest first, as `list_resources`


def resource_rows(
    session: Session, resource_id: str | None = None, ids: Sequence[str] | None = None
) -> list[ResourceRow]:
    """The resource `resource_id`, or those of `ids`, or all, oldest first."""
    query, columns = RESOURCE_ROW, table(Resource).c
    if resource_id:
        query = query.where(columns.id == resource_id)
    if ids is not None:
        query = query.where(columns.id.in_(ids))
    return [ResourceRow._make(row) for row in session.execute(query)]


def list_resources(
    session: Session,
    device: str | None = None,
    resource_id: str | None = None,
    spec_ids: Sequence[str] | None = None,
    ids: Sequence[str] | None = None,
    devices: Sequence[str] | None = None,
) -> list[Resource]:
    query = select(Resource).order_by(Resource.created, Resource.id)
    if device:
        query = query.where(Resource.device == device)
    if devices is not None:
        query = query.where(Resource.device.in_(devices))
    if resource_id:
        query = query.where(Resource.id == resource_id)
    if spec_ids is not None:
        query = query.where(Resource.spec_id.in_(spec_ids))
    if ids is not None:
        query = query.where(Resource.id.in_(ids))
    return list(session.scalars(query))
