"""Serve a fleet as a process: ``run_fleet`` until SIGINT/SIGTERM, publishing ``endpoints.json``.

``endpoints.json`` lists every device (NETCONF and gNMI ports, platform) and, at the top level,
``control_url``: the fleet's loopback control API (faults, links; see ``sims.control``).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import resource
import signal
from collections.abc import Awaitable, Iterable, Mapping
from pathlib import Path
from typing import Any

from sims.fleet import Fleet
from sims.gnmi import load_or_create_pki
from sims.specs import SimDeviceSpec
from sims.statefiles import HOST_KEY_FILE, load_or_create_host_key, write_endpoints

log = logging.getLogger(__name__)


def _raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed * 6 + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def _settle_gc() -> None:
    """Once the fleet is up (YANG schemas, devices, listeners loaded): one full collection, then
    all that is alive leaves the collector's generations (gc.freeze). Else every later full
    collection walks them all again: ~18 % of a busy fleet's CPU (py-spy --native)."""
    gc.collect()
    gc.freeze()


async def serve_fleet(
    specs: Iterable[SimDeviceSpec],
    state_dir: Path,
    stop: Awaitable[Any] | None = None,
    *,
    gnmi: bool = True,
    gnmi_tls: bool = False,
    gnmi_mtls: bool = False,
    topology: Mapping[str, Any] | None = None,
    control_port: int | None = 0,
) -> None:
    """Serve until ``stop`` completes (default: SIGINT or SIGTERM), publishing endpoints.json;
    with ``gnmi_tls`` gNMI serves ``<state_dir>/gnmi.crt``, signed by the lab CA ``ca.crt`` (made
    on first use with a client certificate ``client.crt``); ``gnmi_mtls`` (implies TLS) also
    requires clients to present a certificate signed by that CA;
    ``topology`` (containerlab document) gives the network's links."""
    specs = list(specs)
    state_dir.mkdir(parents=True, exist_ok=True)
    _raise_fd_limit(len(specs))
    key = load_or_create_host_key(state_dir / HOST_KEY_FILE)
    hosts = {spec.host for spec in specs}
    pki = load_or_create_pki(state_dir, hosts) if gnmi and (gnmi_tls or gnmi_mtls) else None
    tls = pki.server_material(mutual=gnmi_mtls) if pki else None
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    if stop is None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopped.set)
        stop = stopped.wait()
    fleet = Fleet(specs, key, gnmi=gnmi, gnmi_tls=tls, topology=topology, control_port=control_port)
    async with fleet:
        path = write_endpoints(state_dir, fleet.endpoints, fleet.control_url)
        log.info("fleet: endpoints in %s, control API at %s", path, fleet.control_url)
        _settle_gc()
        try:
            await stop
        finally:
            path.unlink(missing_ok=True)


def run_fleet(
    specs: Iterable[SimDeviceSpec],
    state_dir: Path,
    *,
    gnmi: bool = True,
    gnmi_tls: bool = False,
    gnmi_mtls: bool = False,
    topology: Mapping[str, Any] | None = None,
    control_port: int | None = 0,
) -> None:
    """Blocking: serve ``specs`` until SIGINT/SIGTERM; ``<state_dir>/endpoints.json`` exists meanwhile."""
    asyncio.run(
        serve_fleet(
            specs,
            Path(state_dir),
            gnmi=gnmi,
            gnmi_tls=gnmi_tls,
            gnmi_mtls=gnmi_mtls,
            topology=topology,
            control_port=control_port,
        )
    )
