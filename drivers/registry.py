"""Platform name -> driver class: the one place drivers are registered."""

from __future__ import annotations

from collections.abc import Callable

from drivers.base import DeviceDriver, DeviceTarget
from drivers.napalm import NapalmDriver
from drivers.netconf import NetconfDriver
from drivers.pool import SessionPool
from rom.errors import InvalidRequest

DriverFactory = Callable[[DeviceTarget, SessionPool | None], DeviceDriver]
"""`factory(target, pool)`: an unopened driver; `pool` (may be None) keeps its sessions."""

DRIVERS: dict[str, DriverFactory] = {
    "rom-router": NetconfDriver,  # the simulator's OpenConfig router
    "netconf": NetconfDriver,  # any RFC 6241 device with :candidate (or :writable-running)
}
PREFIXES: dict[str, DriverFactory] = {
    "napalm": NapalmDriver,  # napalm:<network driver>, through nornir_napalm
}
"""`<prefix>:<anything>` platforms, e.g. `napalm:iosxr_netconf` (see drivers.napalm)."""


def driver_for(target: DeviceTarget, pool: SessionPool | None = None) -> DeviceDriver:
    """A new, unopened driver for `target`; unknown platforms are an InvalidRequest."""
    factory = DRIVERS.get(target.platform)
    if factory is None and ":" in target.platform:
        factory = PREFIXES.get(target.platform.split(":", 1)[0])
    if factory is None:
        known = ", ".join([*sorted(DRIVERS), *(f"{p}:<driver>" for p in sorted(PREFIXES))])
        raise InvalidRequest(f"{target.name}: no driver for platform {target.platform!r} (known: {known})")
    return factory(target, pool)
