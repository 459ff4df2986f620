"""Per-platform settings and compatibility shims for NAPALM drivers behind `drivers.napalm`.

`iosxr_netconf` (napalm's ncclient-based IOS-XR driver) assumes two things real IOS-XR does and
RFC-conformant servers need not:

* replies without an XML declaration: it parses `reply.xml` (a str) with lxml, which refuses a
  str carrying `<?xml ... encoding="UTF-8"?>` (both the ROM simulator and netconfd send one).
  `DeclarationFreeManager` hands napalm replies whose `.xml` has the declaration removed.
* an RFC 8525 yang-library `module-set` naming the device's namespaces; without one it refuses
  every OpenConfig namespace as "Unexpected YANG model reference". `module_namespaces` derives
  the same list from the RFC 6020 `?module=` capabilities of the hello.
"""

from __future__ import annotations

import re
from typing import Any

_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>\s*")


def optional_args(platform: str, key_file: str | None) -> dict[str, Any]:
    """napalm `optional_args` ROM passes for `platform` (port is added by nornir_napalm).

    iosxr_netconf: ncclient's IOS-XR device handler replaces any `unknown_host_cb` with one that
    accepts every host key, so ncclient cannot check it here; `drivers.napalm` checks the key
    itself, before (a key scan) and after connecting."""
    args: dict[str, Any] = {}
    if platform == "iosxr_netconf":
        args.update(config_encoding="xml", hostkey_verify=False, allow_agent=False, look_for_keys=False)
        if key_file:
            args["key_file"] = key_file
    elif key_file:
        args["key_file"] = key_file
    return args


class _Reply:
    """An ncclient reply whose `.xml` has no XML declaration."""

    def __init__(self, reply: Any) -> None:
        self._reply = reply

    @property
    def xml(self) -> str:
        return _DECLARATION.sub("", str(self._reply.xml), count=1)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reply, name)


class DeclarationFreeManager:
    """Wraps an ncclient `Manager`: RPC replies come back as `_Reply`; everything else passes."""

    def __init__(self, manager: Any) -> None:
        self._manager = manager

    @property
    def wrapped(self) -> Any:
        return self._manager

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._manager, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            return _Reply(result) if hasattr(result, "xml") else result

        return call


def module_namespaces(capabilities: list[str]) -> list[str]:
    """Namespaces of the YANG modules announced as `<ns>?module=<name>...` in the hello."""
    return sorted({c.split("?", 1)[0] for c in capabilities if "?module=" in c or "&module=" in c})


def adapt(platform: str, connection: Any) -> None:
    """Apply the shims `platform` needs to an opened napalm driver."""
    if platform != "iosxr_netconf":
        return
    manager = connection.device
    if not isinstance(manager, DeclarationFreeManager):
        connection.device = DeclarationFreeManager(manager)
    if not connection.module_set_ns:
        connection.module_set_ns = module_namespaces(list(manager.server_capabilities))
