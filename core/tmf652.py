"""TMF652 v4 request schemas (field names as in the official swagger)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Tmf(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    type_: str | None = Field(None, alias="@type")
    base_type: str | None = Field(None, alias="@baseType")
    schema_location: str | None = Field(None, alias="@schemaLocation")


class _Extensible(_Tmf):
    """A request body that follows TMF630 polymorphism: attributes beyond the schema are kept when
    `@type` names an extension (a type other than the base one), refused otherwise; attributes ROM
    sets itself are refused either way."""

    base_name: ClassVar[str] = ""
    set_by_rom: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _extension_attributes(self) -> Self:
        extra = set(self.model_extra or {})
        if fixed := sorted(extra & self.set_by_rom):
            raise ValueError(f"{', '.join(fixed)}: set by ROM, not by a client")
        if extra and self.type_ in (None, "", self.base_name):
            raise ValueError(
                f"unknown attribute(s) {', '.join(sorted(extra))}: attributes beyond the "
                f"{self.base_name} schema need an @type naming an extension of it (TMF630)"
            )
        return self


class Characteristic(_Tmf):
    name: str = Field(min_length=1)
    value: Any
    valueType: str | None = None


class ResourceSpecificationRef(_Tmf):
    id: str = Field(min_length=1)
    href: str | None = None
    name: str | None = None
    version: str | None = None


class ResourceRefOrValue(_Tmf):
    id: str | None = None
    href: str | None = None
    name: str | None = None
    description: str | None = None
    resourceCharacteristic: list[Characteristic] = []
    resourceSpecification: ResourceSpecificationRef | None = None


class OrderItemRelationship(_Tmf):
    id: str
    relationshipType: str


class ResourceOrderItemCreate(_Tmf):
    id: str = Field(min_length=1, max_length=64)
    action: Literal["add", "modify", "delete", "noChange"]
    quantity: int | None = Field(None, ge=1)
    resource: ResourceRefOrValue | None = None
    resourceSpecification: ResourceSpecificationRef | None = None
    orderItemRelationship: list[OrderItemRelationship] = []


class RelatedParty(_Tmf):
    id: str = Field(min_length=1)
    referred_type: str = Field(alias="@referredType", min_length=1)
    href: str | None = None
    name: str | None = None
    role: str | None = None


class ExternalReference(_Tmf):
    id: str
    externalReferenceType: str | None = None
    name: str | None = None


class Note(_Tmf):
    text: str
    author: str | None = None
    date: str | None = None


ORDER_SET_BY_ROM = frozenset(
    {"id", "href", "state", "orderDate", "completionDate", "startDate", "expectedCompletionDate"}
)


class ResourceOrderCreate(_Extensible):
    """POST body. State, dates and ids are set by ROM and refused here."""

    base_name: ClassVar[str] = "ResourceOrder"
    set_by_rom: ClassVar[frozenset[str]] = ORDER_SET_BY_ROM

    name: str | None = None
    description: str | None = None
    category: str | None = None
    externalId: str | None = Field(None, max_length=255)
    externalReference: list[ExternalReference] = []
    orderType: str | None = None
    priority: int | None = Field(None, ge=0, le=4)
    requestedStartDate: str | None = None
    requestedCompletionDate: str | None = None
    note: list[Note] = []
    relatedParty: list[RelatedParty] = []
    orderItem: list[ResourceOrderItemCreate] = Field(min_length=1, max_length=100)
    partialAllowed: bool | None = Field(
        None,
        description="ROM extension: apply independent groups of items (no dependsOn and no device "
        "in common) each all-or-nothing; the order ends `partial` when some groups failed",
    )


class ResourceOrderUpdate(_Extensible):
    """PATCH body (JSON merge-patch): attributes a client may change on a waiting order."""

    base_name: ClassVar[str] = "ResourceOrder"
    # the items were planned and reserved at intake; the others identify the order or are ROM's
    set_by_rom: ClassVar[frozenset[str]] = ORDER_SET_BY_ROM | {
        "orderItem",
        "externalId",
        "orderType",
        "relatedParty",
    }

    name: str | None = None
    description: str | None = None
    category: str | None = None
    priority: int | None = Field(None, ge=0, le=4)
    requestedStartDate: str | None = None
    requestedCompletionDate: str | None = None
    externalReference: list[ExternalReference] | None = None
    note: list[Note] | None = None
    state: Literal["held", "pending", "acknowledged"] | None = None


class ResourceOrderRef(_Tmf):
    id: str = Field(min_length=1)
    href: str | None = None


class CancelResourceOrderCreate(_Extensible):
    base_name: ClassVar[str] = "CancelResourceOrder"
    set_by_rom: ClassVar[frozenset[str]] = frozenset({"id", "href", "state", "effectiveCancellationDate"})

    resourceOrder: ResourceOrderRef
    cancellationReason: str | None = Field(None, max_length=1000)
    requestedCancellationDate: str | None = None


class EventSubscriptionInput(_Tmf):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    callback: str = Field(min_length=1, max_length=2048, pattern=r"^https?://")
    query: str | None = Field(None, max_length=2048)
