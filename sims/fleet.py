"""Host many simulated devices in one process, each on its own NETCONF and gNMI port.

``Fleet`` is the asyncio host and ``FleetThread`` runs one in a background thread for synchronous
callers (tests); ``sims.host.run_fleet`` serves one until SIGINT/SIGTERM and publishes
``<state_dir>/endpoints.json``. gNMI is served by one ``grpc.aio`` server per device in the same
loop, insecure or with a self-signed certificate kept in the state dir. Every fleet has a
``SimWorld`` (network model from the topology's links, injected faults) and, once started, a
loopback HTTP control API (``sims.control``) on ``control_url`` unless ``control_port`` is None.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, TypeVar

import asyncssh
import grpc

from sims.control import ControlServer, build_control_app
from sims.device import SimDevice
from sims.gnmi import TlsMaterial, server_credentials, start_gnmi_server
from sims.models import get_model
from sims.netconf.server import server_options, start_netconf_server
from sims.network import Network
from sims.specs import DeviceEndpoint, SimDeviceSpec, numbered_specs
from sims.statefiles import (
    ENDPOINTS_FILE,
    HOST_KEY_FILE,
    generate_host_key,
    load_or_create_host_key,
    write_endpoints,
)
from sims.world import SimWorld

log = logging.getLogger(__name__)
T = TypeVar("T")
__all__ = [
    "ENDPOINTS_FILE",
    "HOST_KEY_FILE",
    "DeviceEndpoint",
    "Fleet",
    "FleetThread",
    "SimDeviceSpec",
    "generate_host_key",
    "load_or_create_host_key",
    "numbered_specs",
    "write_endpoints",
]


class Fleet:
    """Many simulated devices served from one asyncio loop (gNMI too unless ``gnmi`` is False;
    over TLS when ``gnmi_tls`` is given). ``topology`` (a containerlab document) gives the links of
    the network model; the control API listens on ``control_host:control_port`` (0: a free port,
    None: no control API)."""

    def __init__(
        self,
        specs: Iterable[SimDeviceSpec],
        host_key: asyncssh.SSHKey | None = None,
        *,
        gnmi: bool = True,
        gnmi_tls: TlsMaterial | None = None,
        topology: Mapping[str, Any] | None = None,
        control_host: str = "127.0.0.1",
        control_port: int | None = 0,
    ) -> None:
        self.specs = list(specs)
        self.gnmi = gnmi
        self.gnmi_tls = gnmi_tls
        names = [spec.name for spec in self.specs]
        if len(set(names)) != len(names):
            raise ValueError("device names must be unique")
        self._host_key = host_key or generate_host_key()
        self.ssh_host_key = self._host_key.export_public_key().decode().strip()
        self.devices: dict[str, SimDevice] = {
            spec.name: SimDevice(
                spec.name, get_model(spec.model), username=spec.username, password=spec.password
            )
            for spec in self.specs
        }
        self._acceptors: dict[str, asyncssh.SSHAcceptor] = {}
        self._connections: set[asyncssh.SSHServerConnection] = set()
        self._gnmi: dict[str, tuple[grpc.aio.Server, int]] = {}
        self.world = SimWorld(self, Network.from_topology(topology) if topology else Network())
        self.world.attach()
        self._control_host = control_host
        self._control_port = control_port
        self._control: ControlServer | None = None

    @property
    def control_url(self) -> str | None:
        """Base URL of the running control API (None before start or without one)."""
        if self._control is None:
            return None
        host = f"[{self._control.host}]" if ":" in self._control.host else self._control.host
        return f"http://{host}:{self._control.port}"

    async def start(self) -> None:
        """Open every device's NETCONF (and gNMI) listener."""
        loop = asyncio.get_running_loop()
        options = server_options(self._host_key)
        for device in self.devices.values():
            device.datastore.scheduler = lambda delay, callback: loop.call_later(delay, callback)
        results = await asyncio.gather(
            *(
                start_netconf_server(
                    self.devices[spec.name], spec.host, spec.netconf_port, options, self._connections
                )
                for spec in self.specs
            ),
            return_exceptions=True,
        )
        for spec, result in zip(self.specs, results, strict=True):
            if isinstance(result, asyncssh.SSHAcceptor):
                self._acceptors[spec.name] = result
        failures = [result for result in results if isinstance(result, BaseException)]
        if not failures and self.gnmi:
            failures = await self._start_gnmi()
        if not failures and self._control_port is not None:
            failures = await self._start_control()
        if failures:
            await self.stop()
            raise failures[0]
        log.info("fleet: %d devices serving NETCONF, %d gNMI", len(self._acceptors), len(self._gnmi))

    async def _start_gnmi(self) -> list[BaseException]:
        credentials = server_credentials(self.gnmi_tls) if self.gnmi_tls is not None else None
        for spec in self.specs:
            try:
                self._gnmi[spec.name] = await start_gnmi_server(
                    self.devices[spec.name], spec.host, spec.gnmi_port, credentials
                )
            except OSError as exc:
                return [exc]
        return []

    async def _start_control(self) -> list[BaseException]:
        server = ControlServer(
            build_control_app(self, self.world), self._control_host, self._control_port or 0
        )
        try:
            await server.start()
        except OSError as exc:
            return [exc]
        self._control = server
        return []

    async def stop(self) -> None:
        """Close the control API, the listeners and every open connection."""
        control, self._control = self._control, None
        if control is not None:
            await control.stop()
        servers, self._gnmi = [server for server, _port in self._gnmi.values()], {}
        await asyncio.gather(*(server.stop(None) for server in servers))
        acceptors, self._acceptors = list(self._acceptors.values()), {}
        for acceptor in acceptors:
            acceptor.close()
        for conn in list(self._connections):
            conn.close()
        for acceptor in acceptors:
            await acceptor.wait_closed()
        for conn in list(self._connections):
            await conn.wait_closed()

    async def __aenter__(self) -> Fleet:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def device(self, name: str) -> SimDevice:
        """A device by name."""
        return self.devices[name]

    def endpoint(self, name: str) -> DeviceEndpoint:
        """Where a started device listens."""
        spec = next(spec for spec in self.specs if spec.name == name)
        device = self.devices[name]
        acceptor = self._acceptors.get(name)
        port = acceptor.get_port() if acceptor is not None else spec.netconf_port
        gnmi = self._gnmi.get(name)
        gnmi_port = gnmi[1] if gnmi is not None else (spec.gnmi_port or None) if self.gnmi else None
        return DeviceEndpoint(
            spec.name,
            spec.model,
            device.model.platform,
            spec.host,
            port,
            spec.username,
            gnmi_port=gnmi_port,
            gnmi_tls=self.gnmi and self.gnmi_tls is not None,
            ssh_host_key=self.ssh_host_key,
        )

    @property
    def endpoints(self) -> list[DeviceEndpoint]:
        """Endpoints of every device, in spec order."""
        return [self.endpoint(spec.name) for spec in self.specs]


class FleetThread:
    """Run a ``Fleet`` in a background thread: ``with FleetThread(specs) as fleet: ...``."""

    def __init__(
        self,
        specs: Iterable[SimDeviceSpec],
        host_key: asyncssh.SSHKey | None = None,
        *,
        gnmi: bool = True,
        gnmi_tls: TlsMaterial | None = None,
        topology: Mapping[str, Any] | None = None,
        control_port: int | None = 0,
    ) -> None:
        self.fleet = Fleet(
            specs, host_key, gnmi=gnmi, gnmi_tls=gnmi_tls, topology=topology, control_port=control_port
        )
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="sims-fleet", daemon=True)
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._endpoints: list[DeviceEndpoint] = []

    def start(self, timeout: float = 120.0) -> None:
        """Start the thread and wait until every device listens."""
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("fleet did not start in time")
        if self._error is not None:
            self._thread.join()
            raise self._error

    def stop(self) -> None:
        """Stop serving and join the thread."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()

    def __enter__(self) -> FleetThread:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def endpoints(self) -> list[DeviceEndpoint]:
        """Endpoints of every device (actual ports)."""
        return list(self._endpoints)

    def endpoint(self, name: str) -> DeviceEndpoint:
        """The endpoint of one device."""
        return next(endpoint for endpoint in self._endpoints if endpoint.name == name)

    @property
    def control_url(self) -> str | None:
        """Base URL of the fleet's control API (None without one)."""
        return self.fleet.control_url

    def port(self, name: str) -> int:
        """The NETCONF port of one device."""
        return self.endpoint(name).netconf_port

    def gnmi_port(self, name: str) -> int:
        """The gNMI port of one device (KeyError when gNMI is off)."""
        port = self.endpoint(name).gnmi_port
        if port is None:
            raise KeyError(f"{name} does not serve gNMI")
        return port

    def call(self, func: Callable[[Fleet], T]) -> T:
        """Run ``func(fleet)`` in the fleet's loop (safe access to device state) and return its result."""

        async def run() -> T:
            return func(self.fleet)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self.fleet.start())
            self._endpoints = self.fleet.endpoints
        except BaseException as exc:  # noqa: BLE001 - re-raised by start() in the caller's thread
            self._error = exc
            self._ready.set()
            self._loop.close()
            return
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._loop.run_until_complete(self.fleet.stop())
            self._loop.close()
