"""The catalog of resource specifications read from templates/<spec>/spec.yaml, and parameter checks."""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from core.errors import InvalidRequest, NotFound

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


def did_you_mean(name: str, choices: list[str], prefix: str = "") -> str:
    """`` (did you mean 'x'?)`` for the closest of `choices`, or "" when none is close."""
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    if not close:
        return ""
    return f"{prefix} did you mean {close[0]!r}?)" if prefix else f" (did you mean {close[0]!r}?)"


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


Protocol = Literal["netconf", "gnmi", "napalm"]


class PlatformBinding(BaseModel):
    """How one role is rendered on one platform: the protocol (driver), the template and, for the
    XML protocols, the subtree filter that reads the resource back (gNMI reads the paths it set)."""

    model_config = ConfigDict(extra="forbid")

    driver: Protocol = "netconf"
    template: str
    filter: str | None = None

    @model_validator(mode="after")
    def _filter_for_xml(self) -> PlatformBinding:
        if self.driver != "gnmi" and not self.filter:
            raise ValueError(f"a {self.driver} binding needs a filter (the read-back subtree)")
        expected = ".json.j2" if self.driver == "gnmi" else ".xml.j2"
        if self.driver != "napalm" and not self.template.endswith(expected):
            raise ValueError(f"a {self.driver} template must be a {expected} file, got {self.template!r}")
        return self


class RoleSpec(BaseModel):
    """One kind of device a specification touches, e.g. `upf` and `smf` for a 5G slice core:
    the characteristic naming the device, and a template per platform."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    device_characteristic: str = Field("device", alias="deviceCharacteristic")
    description: str = ""
    platforms: dict[str, PlatformBinding]


class ReservationRule(BaseModel):
    """One entry of a spec's `reservations:` (what `inventory.pools` reserves for an item)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    pool: str
    characteristic: str
    scope: list[str] = []
    allocate: bool = False
    share_by: str | None = Field(None, alias="shareBy")
    # a capacity pool: the characteristic that states the scope's capacity on the device (e.g. a
    # UPF's upfMaxSessions); an item that sets it sets the pool's capacity for its scope
    sets_capacity: str | None = Field(None, alias="setsCapacity")

    def names(self) -> list[str]:
        """The characteristics the rule reads."""
        return [self.characteristic, *self.scope, *(n for n in (self.share_by, self.sets_capacity) if n)]


class ResourceSpec(BaseModel):
    """A resource specification (templates/<id>/spec.yaml).

    `roles` maps a role name to a `RoleSpec`; a single-role spec may instead give
    `deviceCharacteristic` + `platforms` at the top level with `roles: [<name>]`. `postChecks`
    (KPI baselines, read by telemetry.baseline) is owned by that module: its shape is left open
    here. `reservations` (resource pools, reserved by inventory.pools) are checked when the spec
    loads: `reservation_rules` holds them validated.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str
    name: str
    version: str
    category: str = ""
    description: str = ""
    resource_name: str = Field(alias="resourceName")
    device_characteristic: str = Field("device", alias="deviceCharacteristic")
    roles: dict[str, RoleSpec]
    characteristics: dict[str, CharacteristicSpec]
    platforms: dict[str, PlatformBinding] = {}
    post_checks: dict[str, Any] = Field(default_factory=dict, alias="postChecks")
    reservations: list[dict[str, Any]] = []
    _rules: tuple[ReservationRule, ...] = PrivateAttr(())

    @model_validator(mode="before")
    @classmethod
    def _single_role_shorthand(cls, data: Any) -> Any:
        if not isinstance(data, dict) or isinstance(data.get("roles"), dict):
            return data
        names = data.get("roles") or ["device"]
        if len(names) != 1 or "platforms" not in data:
            raise ValueError("roles: a mapping of role -> {deviceCharacteristic, platforms}, or one name")
        role = {
            "deviceCharacteristic": data.get("deviceCharacteristic", "device"),
            "platforms": data["platforms"],
        }
        return {**data, "roles": {names[0]: role}}

    @model_validator(mode="after")
    def _roles_name_devices(self) -> ResourceSpec:
        if not self.roles:
            raise ValueError("a specification needs at least one role")
        for name, role in self.roles.items():
            rule = self.characteristics.get(role.device_characteristic)
            if rule is None or rule.type != "string" or not rule.required:
                raise ValueError(
                    f"role {name!r}: deviceCharacteristic {role.device_characteristic!r} "
                    "must be a required string characteristic"
                )
        first = next(iter(self.roles.values()))
        self.device_characteristic = first.device_characteristic
        self.platforms = first.platforms
        return self

    @model_validator(mode="after")
    def _reservations_name_characteristics(self) -> ResourceSpec:
        rules = tuple(ReservationRule.model_validate(r) for r in self.reservations)
        for rule in rules:
            unknown = [n for n in rule.names() if n not in self.characteristics]
            if unknown:
                raise ValueError(f"reservation names unknown characteristic(s) {unknown}")
        self._rules = rules
        return self

    @property
    def reservation_rules(self) -> tuple[ReservationRule, ...]:
        """`reservations`, validated when the spec was loaded."""
        return self._rules

    def binding(self, platform: str, role: str | None = None) -> PlatformBinding:
        """The binding of `role` (default: the first role) on `platform`; InvalidRequest if none."""
        name = role or next(iter(self.roles))
        try:
            return self.roles[name].platforms[platform]
        except KeyError:
            raise InvalidRequest(
                f"resource specification {self.id!r} has no template for role {name!r} "
                f"on platform {platform!r}"
            ) from None


class Catalog:
    """Resource specifications by id."""

    def __init__(self, specs: Mapping[str, ResourceSpec], root: Path) -> None:
        self._specs = dict(specs)
        self.root = root

    @classmethod
    def load(cls, root: Path | None = None) -> Catalog:
        """The specifications below `root` (`ROM_CATALOG_DIR`); None: the shipped templates/."""
        root = root or TEMPLATES_DIR
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
            known = sorted(self._specs)
            raise NotFound(
                f"unknown resource specification {spec_id!r}{did_you_mean(spec_id, known)}; "
                f"known: {', '.join(known)}"
            ) from None

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._specs.values())


def validate_characteristics(spec: ResourceSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check values against the spec; return them complete (defaults filled). Raises InvalidRequest."""
    unknown = sorted(set(values) - set(spec.characteristics))
    if unknown:
        names = list(spec.characteristics)
        hints = "".join(did_you_mean(n, names, f" ({n}:") for n in unknown)
        raise InvalidRequest(
            f"{spec.id}: unknown characteristic(s): {', '.join(unknown)}{hints}; valid: {', '.join(names)}"
        )
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
