"""Fetch the YANG modules a NETCONF device implements, with `<get-schema>` (RFC 6022).

The modules are those the device announces in its hello (`ns?module=NAME&revision=DATE`); each
is asked for by name and revision. A module the device will not serve is reported, not fatal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs

from drivers._errors import mapped_errors
from drivers._netconf_session import open_session
from drivers.base import DeviceTarget
from drivers.errors import CapabilityMissing, DeviceRejected

MONITORING = "urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring"


@dataclass
class FetchedSchemas:
    """module -> (revision, YANG text) fetched, and module -> why it was not."""

    modules: dict[str, tuple[str, str]] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)


def announced_modules(capabilities: list[str]) -> dict[str, str]:
    """module -> revision ("" if none) of the module capabilities of a hello."""
    found: dict[str, str] = {}
    for capability in capabilities:
        _ns, _, query = capability.partition("?")
        params = parse_qs(query)
        if "module" in params:
            found[params["module"][0]] = params.get("revision", [""])[0]
    return found


def fetch_schemas(target: DeviceTarget) -> FetchedSchemas:
    """Every announced module's YANG text (CapabilityMissing without ietf-netconf-monitoring)."""
    session = open_session(target)
    result = FetchedSchemas()
    try:
        capabilities = [str(c) for c in session.manager.server_capabilities]
        if not any(c.startswith(MONITORING) for c in capabilities):
            raise CapabilityMissing(f"{target.name}: no ietf-netconf-monitoring: <get-schema> is not offered")
        for module, revision in sorted(announced_modules(capabilities).items()):
            try:
                with mapped_errors(target.name, f"get-schema {module}"):
                    reply = session.manager.get_schema(
                        module, version=revision or None
                    )  # format: yang (default)
            except DeviceRejected as exc:  # one module refused: reported, the others still fetched
                result.refused[module] = " ".join(str(exc).split())
                continue
            result.modules[module] = (revision, reply.data or "")
    finally:
        session.close()
    return result
