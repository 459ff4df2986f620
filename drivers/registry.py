"""Platform name -> driver class: the one place drivers are registered."""

from __future__ import annotations

from collections.abc import Callable

from drivers.base import DeviceDriver, DeviceTarget
from drivers.netconf import NetconfDriver
from rom.errors import InvalidRequest

DriverFactory = Callable[[DeviceTarget], DeviceDriver]

DRIVERS: dict[str, DriverFactory] = {
    "rom-router": NetconfDriver,  # the simulator's OpenConfig router
    "netconf": NetconfDriver,  # any RFC 6241 device with :candidate
}


def driver_for(target: DeviceTarget) -> DeviceDriver:
    """A new, unopened driver for `target`; unknown platforms are an InvalidRequest."""
    try:
        factory = DRIVERS[target.platform]
    except KeyError:
        known = ", ".join(sorted(DRIVERS))
        raise InvalidRequest(
            f"{target.name}: no driver for platform {target.platform!r} (known: {known})"
        ) from None
    return factory(target)
