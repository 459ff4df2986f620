"""Platform and protocol -> driver class: the one place drivers are registered.

A device is reached over one or more protocols. `netconf` means the platform's NETCONF-family
driver (ncclient, or NAPALM for `napalm:<driver>` platforms, which resource specs may also name
`napalm`); `gnmi` means the gNMI driver on the device's gNMI port. Each platform has a default
protocol, used when a caller names none.
"""

from __future__ import annotations

from collections.abc import Callable

from drivers.base import DeviceDriver, DeviceTarget
from drivers.errors import InvalidInput
from drivers.gnmi import GnmiDriver
from drivers.napalm import NapalmDriver
from drivers.netconf import NetconfDriver
from drivers.pool import SessionPool

DriverFactory = Callable[[DeviceTarget, SessionPool | None], DeviceDriver]
"""`factory(target, pool)`: an unopened driver; `pool` (may be None) keeps its sessions."""

PROTOCOLS = ("netconf", "napalm", "gnmi")
"""In the order a transaction works through one device's participants."""

DRIVERS: dict[str, DriverFactory] = {
    "rom-router": NetconfDriver,  # the simulator's OpenConfig router
    "rom-5gc": NetconfDriver,  # the simulator's UPF, SMF and AMF
    "rom-ran": NetconfDriver,  # the simulator's gNB (it serves NETCONF too; gNMI is its default)
    "netconf": NetconfDriver,  # any RFC 6241 device with :candidate (or :writable-running)
}
"""NETCONF-family driver per platform."""
PREFIXES: dict[str, DriverFactory] = {
    "napalm": NapalmDriver,  # napalm:<network driver>, through nornir_napalm
}
"""`<prefix>:<anything>` platforms, e.g. `napalm:iosxr_netconf` (see drivers.napalm)."""
GNMI_DRIVER: DriverFactory = GnmiDriver
DEFAULT_PROTOCOL: dict[str, str] = {"rom-ran": "gnmi", "srlinux": "gnmi", "gnmi": "gnmi"}
"""Platforms whose default is not NETCONF. `srlinux` (Nokia SR Linux) is driven over gNMI only."""


def default_protocol(platform: str) -> str:
    if platform in DEFAULT_PROTOCOL:
        return DEFAULT_PROTOCOL[platform]
    return "napalm" if platform.startswith("napalm:") else "netconf"


def _netconf_family(target: DeviceTarget) -> DriverFactory:
    factory = DRIVERS.get(target.platform)
    if factory is None and ":" in target.platform:
        factory = PREFIXES.get(target.platform.split(":", 1)[0])
    if factory is None:
        known = ", ".join([*sorted(DRIVERS), *(f"{p}:<driver>" for p in sorted(PREFIXES))])
        raise InvalidInput(
            f"{target.name}: no NETCONF driver for platform {target.platform!r} (known: {known})"
        )
    return factory


def driver_for(
    target: DeviceTarget, pool: SessionPool | None = None, protocol: str | None = None
) -> DeviceDriver:
    """A new, unopened driver for `target` over `protocol` (default: the platform's);
    unknown platforms and protocols are an InvalidInput."""
    protocol = protocol or default_protocol(target.platform)
    if protocol not in PROTOCOLS:
        raise InvalidInput(f"{target.name}: unknown protocol {protocol!r} (known: {', '.join(PROTOCOLS)})")
    if protocol == "gnmi":
        return GNMI_DRIVER(target, pool)
    return _netconf_family(target)(target, pool)
