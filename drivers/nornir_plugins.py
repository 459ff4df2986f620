"""Nornir plugins fed by ROM's inventory: `RomInventory` and the `rom` / `rom-gnmi` connections.

One Nornir host per device, one connection per protocol: `rom` opens the platform's
NETCONF-family driver (ncclient or NAPALM), `rom-gnmi` the gNMI driver on the device's gNMI port.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from itertools import islice
from typing import Any

from nornir.core import Nornir
from nornir.core.configuration import Config
from nornir.core.inventory import ConnectionOptions, Host, Hosts, Inventory
from nornir.core.plugins.connections import ConnectionPluginRegister
from nornir.core.plugins.inventory import InventoryPluginRegister
from nornir.core.processor import Processor, Processors
from nornir.core.state import GlobalState
from nornir.core.task import AggregatedResult, MultiResult, Task

from drivers.base import DeviceDriver, DeviceTarget
from drivers.errors import InvalidInput, TransportError
from drivers.pool import DEFAULT_POOL, SessionPool
from drivers.registry import driver_for

CONNECTION = "rom"
CONNECTION_GNMI = "rom-gnmi"
CONNECTIONS = {"netconf": CONNECTION, "napalm": CONNECTION, "gnmi": CONNECTION_GNMI}
"""Protocol (as resource specs and transaction payloads name it) -> Nornir connection."""
INVENTORY = "RomInventory"  # Nornir's plugin registers share one namespace: keep names distinct


class RomInventory:
    """Inventory plugin: one Nornir host per `DeviceTarget`, keyed by device name."""

    def __init__(self, targets: Sequence[DeviceTarget], pool: SessionPool | None = None) -> None:
        self.targets = list(targets)
        self.pool = pool

    def load(self) -> Inventory:
        hosts = Hosts()
        for t in self.targets:
            extras = {
                "name": t.name,
                "timeout": t.timeout,
                "key_file": t.key_file,
                "known_hosts": t.known_hosts,
                "host_key_policy": t.host_key_policy,
                "pool": self.pool,
            }
            gnmi = ConnectionOptions(port=t.gnmi_port, extras={"target": t, "pool": self.pool})
            hosts[t.name] = Host(
                name=t.name,
                hostname=t.host,
                port=t.port,
                username=t.username,
                password=t.password,
                platform=t.platform,
                connection_options={CONNECTION: ConnectionOptions(extras=extras), CONNECTION_GNMI: gnmi},
            )
        return Inventory(hosts=hosts)


class RomConnection:
    """Connection plugin: `.connection` is the registry's opened driver for the host.

    With a pool in the host's extras (see `make_nornir`), the driver takes its session from the
    pool on open and `close` (Nornir's `close_connections`) gives it back.
    """

    protocol = "netconf"

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
        given = extras.get("target")
        if isinstance(given, DeviceTarget):
            self._open(given, extras.get("pool"))
            return
        target = DeviceTarget(
            name=str(extras.get("name") or hostname),
            host=hostname or "",
            port=int(port or 830),
            platform=platform or "",
            username=username or "",
            password=password or "",
            timeout=float(extras.get("timeout", 30.0)),
            key_file=extras.get("key_file"),
            known_hosts=extras.get("known_hosts"),
            host_key_policy=extras.get("host_key_policy", "strict"),
            netconf_client=extras.get("netconf_client", "rom"),
        )
        self._open(target, extras.get("pool"))

    def _open(self, target: DeviceTarget, pool: SessionPool | None) -> None:
        driver = driver_for(target, pool, self.protocol)
        driver.open()
        self._driver = driver

    def close(self) -> None:
        if self._driver is not None:
            self._driver.close()
            self._driver = None

    @property
    def connection(self) -> DeviceDriver:
        if self._driver is None:
            raise TransportError(f"{self.protocol} connection is not open")
        return self._driver


class RomGnmiConnection(RomConnection):
    """The `rom-gnmi` connection: the gNMI driver (the host's `DeviceTarget` names the port)."""

    protocol = "gnmi"


class ReusingRunner:
    """Nornir's threaded runner, but one thread pool serves every run of the Nornir (and of its
    filtered copies, which share the runner): a transaction's phases reuse the same workers
    instead of starting `num_workers` new threads each. Tasks must not run the same Nornir from
    inside a worker (ROM's do not), or they could wait on workers that wait on them. Idle
    workers end with `close` or when the runner is collected.

    `shared`: a pool kept by the caller for many Nornirs (e.g. one per order), whose threads are
    already running; a run then has at most `num_workers` of its hosts in it at a time, and
    `close` leaves it alone."""

    def __init__(self, num_workers: int = 20, shared: ThreadPoolExecutor | None = None) -> None:
        self.num_workers = num_workers
        self._shared = shared
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def run(self, task: Task, hosts: list[Host]) -> AggregatedResult:
        if self._shared is not None:
            return self._windowed(task, hosts, self._shared)
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.num_workers, thread_name_prefix="nornir")
            pool = self._pool
        futures = [pool.submit(task.copy().start, host) for host in hosts]
        result = AggregatedResult(task.name)
        for future in futures:
            done = future.result()
            result[done.host.name] = done
        return result

    def _windowed(self, task: Task, hosts: list[Host], pool: ThreadPoolExecutor) -> AggregatedResult:
        """The run on a shared pool, `num_workers` hosts at a time; results in the hosts' order."""
        waiting = iter(hosts)
        running = {pool.submit(task.copy().start, h) for h in islice(waiting, self.num_workers)}
        found: dict[str, MultiResult] = {}
        while running:
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                done = future.result()
                found[done.host.name] = done
            running |= {pool.submit(task.copy().start, h) for h in islice(waiting, len(finished))}
        result = AggregatedResult(task.name)
        for host in hosts:
            result[host.name] = found[host.name]
        return result

    def close(self) -> None:
        """Let the workers end (a later run starts new ones); a shared pool is left running."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False)


def register_plugins() -> None:
    """Idempotent: register the plugins with Nornir."""
    InventoryPluginRegister.register(INVENTORY, RomInventory)
    ConnectionPluginRegister.register(CONNECTION, RomConnection)
    ConnectionPluginRegister.register(CONNECTION_GNMI, RomGnmiConnection)


def make_nornir(
    targets: Sequence[DeviceTarget],
    workers: int = 20,
    *,
    pool: SessionPool | None = DEFAULT_POOL,
    processors: Sequence[Processor] = (),
    shared_workers: ThreadPoolExecutor | None = None,
) -> Nornir:
    """A Nornir over `targets`: threaded runner (`ReusingRunner`), no logging set-up or log files,
    no config file.

    Connections come from `pool` (the process-wide one by default; None: a new session each time
    and closed on `close_connections`). `processors`, e.g. `drivers.processors.MetricsProcessor()`,
    see every task. `shared_workers`: a kept thread pool the runs take their workers from (see
    `ReusingRunner`), instead of threads started for this Nornir.
    """
    register_plugins()
    config = Config.from_dict(
        inventory={"plugin": INVENTORY},
        runner={"plugin": "threaded", "options": {"num_workers": workers}},
        logging={"enabled": False},
    )
    return Nornir(
        inventory=RomInventory(targets, pool).load(),
        runner=ReusingRunner(num_workers=workers, shared=shared_workers),
        config=config,
        data=GlobalState(),
        processors=Processors(processors),
    )


def connection_name(protocol: str) -> str:
    try:
        return CONNECTIONS[protocol]
    except KeyError:
        raise InvalidInput(f"unknown protocol {protocol!r} (known: {', '.join(CONNECTIONS)})") from None


def driver_of(host: Host, config: Config, protocol: str = "netconf") -> DeviceDriver:
    """The host's open driver for `protocol` (opened on first use)."""
    driver: DeviceDriver = host.get_connection(connection_name(protocol), config)
    return driver


register_plugins()
