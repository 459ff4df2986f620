"""What a fleet host serves: device specs in, endpoints (where each device listens) out."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SimDeviceSpec:
    """One device to simulate (``netconf_port``/``gnmi_port`` 0 pick a free port)."""

    name: str
    model: str = "router"
    host: str = "127.0.0.1"
    netconf_port: int = 0
    username: str = "admin"
    password: str = "admin"
    gnmi_port: int = 0


@dataclass(frozen=True)
class DeviceEndpoint:
    """Where a running simulated device listens (no password)."""

    name: str
    model: str
    platform: str
    host: str
    netconf_port: int
    username: str
    gnmi_port: int | None = None  # None: gNMI is off
    gnmi_tls: bool = False
    ssh_host_key: str | None = None  # the NETCONF server's public key, "ssh-ed25519 AAAA..."


def numbered_specs(
    count: int,
    *,
    prefix: str = "r",
    model: str = "router",
    host: str = "127.0.0.1",
    base_port: int = 0,
    gnmi_base_port: int = 0,
) -> list[SimDeviceSpec]:
    """``count`` devices named ``<prefix>1..``; ports ``base_port + i`` and ``gnmi_base_port + i``
    (0, a free port, where a base is 0)."""
    return [
        SimDeviceSpec(
            f"{prefix}{i + 1}",
            model,
            host,
            base_port + i if base_port else 0,
            gnmi_port=gnmi_base_port + i if gnmi_base_port else 0,
        )
        for i in range(count)
    ]
