"""YANG module names <-> XML namespaces, for RFC 7951 names and gNMI origins.

A model's table comes from its NETCONF module capabilities (``ns?module=NAME&revision=DATE``),
completed by the other modules its YANG loads (the identities' modules, e.g. iana-if-type or
openconfig-network-instance-types), from its derived schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs

import grpc

from sims.models.base import DeviceModel

# Origins naming the whole OpenConfig tree (or no tree at all) rather than one module.
NEUTRAL_ORIGINS = frozenset({"", "openconfig", "oc", "rfc7951"})


class GnmiError(Exception):
    """A request the server answers with a gRPC status other than OK."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ModelInfo:
    """One supported model as Capabilities announces it."""

    name: str
    organization: str
    version: str


@dataclass
class ModuleTable:
    """Module name <-> namespace for one device model."""

    by_namespace: dict[str, str] = field(default_factory=dict)
    by_module: dict[str, str] = field(default_factory=dict)
    models: list[ModelInfo] = field(default_factory=list)

    def add(self, namespace: str, module: str) -> None:
        """Record one module (first registration wins)."""
        self.by_namespace.setdefault(namespace, module)
        self.by_module.setdefault(module, namespace)

    def module_of(self, namespace: str | None) -> str | None:
        """The module defining ``namespace``, if known."""
        return self.by_namespace.get(namespace or "")

    def namespace_of(self, module: str) -> str:
        """The namespace of a module name; INVALID_ARGUMENT if unknown."""
        try:
            return self.by_module[module]
        except KeyError:
            raise GnmiError(grpc.StatusCode.INVALID_ARGUMENT, f"unknown module '{module}'") from None


def _organization(namespace: str) -> str:
    if "openconfig.net" in namespace:
        return "OpenConfig working group"
    if namespace.startswith("urn:ietf:"):
        return "IETF"
    if "3gpp" in namespace.lower():
        return "3GPP"
    return "ROM simulators"


def build_table(capabilities: tuple[str, ...], loaded: dict[str, str]) -> ModuleTable:
    """A table from NETCONF module capability URIs plus the modules the model loads besides
    (``loaded``: namespace -> module name)."""
    table = ModuleTable()
    for capability in capabilities:
        namespace, _, query = capability.partition("?")
        params = parse_qs(query)
        module = params.get("module", [""])[0]
        if not module:
            continue
        table.add(namespace, module)
        revision = params.get("revision", [""])[0]
        table.models.append(ModelInfo(module, _organization(namespace), revision))
    for namespace, module in sorted(loaded.items()):
        table.add(namespace, module)
    return table


_TABLES: dict[tuple[str, ...], ModuleTable] = {}


def table_for(model: DeviceModel) -> ModuleTable:
    """The module table of a device model (cached by its capabilities: per-device model copies share it)."""
    table = _TABLES.get(model.module_capabilities)
    if table is None:
        table = _TABLES[model.module_capabilities] = build_table(
            model.module_capabilities, model.schema.modules
        )
    return table
