"""The catalog of resource specifications read from templates/<spec>/spec.yaml, and parameter checks."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rom.errors import InvalidRequest, NotFound

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


class CharacteristicSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["string", "integer", "boolean", "ipv4"]
    required: bool = True
    default: Any = None
    pattern: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    enum: list[Any] | None = None
    description: str = ""


class PlatformBinding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    driver: str
    template: str
    filter: str


class ResourceSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str
    name: str
    version: str
    category: str = ""
    description: str = ""
    resource_name: str = Field(alias="resourceName")
    device_characteristic: str = Field("device", alias="deviceCharacteristic")
    roles: list[str] = []
    characteristics: dict[str, CharacteristicSpec]
    platforms: dict[str, PlatformBinding]

    def binding(self, platform: str) -> PlatformBinding:
        try:
            return self.platforms[platform]
        except KeyError:
            raise InvalidRequest(
                f"resource specification {self.id!r} has no template for platform {platform!r}"
            ) from None


class Catalog:
    """Resource specifications by id."""

    def __init__(self, specs: Mapping[str, ResourceSpec], root: Path) -> None:
        self._specs = dict(specs)
        self.root = root

    @classmethod
    def load(cls, root: Path = TEMPLATES_DIR) -> Catalog:
        specs: dict[str, ResourceSpec] = {}
        for path in sorted(root.glob("*/spec.yaml")):
            try:
                spec = ResourceSpec.model_validate(yaml.safe_load(path.read_text()))
            except (yaml.YAMLError, ValidationError) as exc:
                raise ValueError(f"{path}: invalid resource specification: {exc}") from exc
            if spec.id != path.parent.name:
                raise ValueError(f"{path}: id {spec.id!r} must match its folder name")
            specs[spec.id] = spec
        return cls(specs, root)

    def get(self, spec_id: str) -> ResourceSpec:
        try:
            return self._specs[spec_id]
        except KeyError:
            raise NotFound(f"unknown resource specification {spec_id!r}") from None

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._specs.values())


def validate_characteristics(spec: ResourceSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check values against the spec; return them complete (defaults filled). Raises InvalidRequest."""
    unknown = sorted(set(values) - set(spec.characteristics))
    if unknown:
        raise InvalidRequest(f"{spec.id}: unknown characteristic(s): {', '.join(unknown)}")
    checked: dict[str, Any] = {}
    for name, rule in spec.characteristics.items():
        if name not in values:
            if rule.required:
                raise InvalidRequest(f"{spec.id}: missing characteristic {name!r}")
            checked[name] = rule.default
            continue
        checked[name] = _check_value(spec.id, name, rule, values[name])
    return checked


def _check_value(spec_id: str, name: str, rule: CharacteristicSpec, value: Any) -> Any:
    where = f"{spec_id}: characteristic {name!r}"
    if rule.type == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidRequest(f"{where} must be an integer, got {value!r}")
        if rule.minimum is not None and value < rule.minimum:
            raise InvalidRequest(f"{where} must be >= {rule.minimum}, got {value}")
        if rule.maximum is not None and value > rule.maximum:
            raise InvalidRequest(f"{where} must be <= {rule.maximum}, got {value}")
    elif rule.type == "boolean":
        if not isinstance(value, bool):
            raise InvalidRequest(f"{where} must be a boolean, got {value!r}")
    else:
        if not isinstance(value, str):
            raise InvalidRequest(f"{where} must be a string, got {value!r}")
        if rule.type == "ipv4":
            try:
                value = str(ipaddress.IPv4Address(value))
            except ValueError:
                raise InvalidRequest(f"{where} must be an IPv4 address, got {value!r}") from None
        if rule.pattern is not None and not re.fullmatch(rule.pattern, value):
            raise InvalidRequest(f"{where} does not match {rule.pattern}: {value!r}")
    if rule.enum is not None and value not in rule.enum:
        raise InvalidRequest(f"{where} must be one of {rule.enum}, got {value!r}")
    return value
