"""Nornir plugins fed by ROM's inventory: `RomInventory` and the `rom` connection."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nornir.core import Nornir
from nornir.core.configuration import Config
from nornir.core.inventory import ConnectionOptions, Host, Hosts, Inventory
from nornir.core.plugins.connections import ConnectionPluginRegister
from nornir.core.plugins.inventory import InventoryPluginRegister
from nornir.core.state import GlobalState
from nornir.plugins.runners import ThreadedRunner

from drivers.base import DeviceDriver, DeviceTarget
from drivers.registry import driver_for
from rom.errors import TransportError

CONNECTION = "rom"
INVENTORY = "RomInventory"  # Nornir's plugin registers share one namespace: keep names distinct


class RomInventory:
    """Inventory plugin: one Nornir host per `DeviceTarget`, keyed by device name."""

    def __init__(self, targets: Sequence[DeviceTarget]) -> None:
        self.targets = list(targets)

    def load(self) -> Inventory:
        hosts = Hosts()
        for t in self.targets:
            extras = {"name": t.name, "timeout": t.timeout}
            hosts[t.name] = Host(
                name=t.name,
                hostname=t.host,
                port=t.port,
                username=t.username,
                password=t.password,
                platform=t.platform,
                connection_options={CONNECTION: ConnectionOptions(extras=extras)},
            )
        return Inventory(hosts=hosts)


class RomConnection:
    """Connection plugin: `.connection` is the registry's opened driver for the host."""

    def __init__(self) -> None:
        self._driver: DeviceDriver | None = None

    def open(
        self,
        hostname: str | None,
        username: str | None,
        password: str | None,
        port: int | None,
        platform: str | None,
        extras: dict[str, Any] | None = None,
        configuration: Config | None = None,
    ) -> None:
        extras = extras or {}
        target = DeviceTarget(
            name=str(extras.get("name") or hostname),
            host=hostname or "",
            port=int(port or 830),
            platform=platform or "",
            username=username or "",
            password=password or "",
            timeout=float(extras.get("timeout", 30.0)),
        )
        driver = driver_for(target)
        driver.open()
        self._driver = driver

    def close(self) -> None:
        if self._driver is not None:
            self._driver.close()
            self._driver = None

    @property
    def connection(self) -> DeviceDriver:
        if self._driver is None:
            raise TransportError("rom connection is not open")
        return self._driver


def register_plugins() -> None:
    """Idempotent: register both plugins with Nornir."""
    InventoryPluginRegister.register(INVENTORY, RomInventory)
    ConnectionPluginRegister.register(CONNECTION, RomConnection)


def make_nornir(targets: Sequence[DeviceTarget], workers: int = 20) -> Nornir:
    """A Nornir over `targets`: threaded runner, no logging set-up or log files, no config file."""
    register_plugins()
    config = Config.from_dict(
        inventory={"plugin": INVENTORY},
        runner={"plugin": "threaded", "options": {"num_workers": workers}},
        logging={"enabled": False},
    )
    return Nornir(
        inventory=RomInventory(targets).load(),
        runner=ThreadedRunner(num_workers=workers),
        config=config,
        data=GlobalState(),
    )


def driver_of(host: Host, config: Config) -> DeviceDriver:
    """The host's open driver (opened on first use)."""
    driver: DeviceDriver = host.get_connection(CONNECTION, config)
    return driver


register_plugins()
