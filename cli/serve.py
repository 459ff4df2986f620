"""`rom serve` (API + order worker) and `rom sims` (the simulator fleet host)."""

from __future__ import annotations

import logging
import os
import socket
import time
from pathlib import Path
from typing import Annotated

import typer

from core.settings import get_settings


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port for the TMF APIs.")] = 8080,
    upgrade_db: Annotated[
        bool,
        typer.Option(
            "--upgrade-db", help="Upgrade a database behind this ROM's schema first (else: refuse to start)."
        ),
    ] = False,
    reuse_port: Annotated[
        bool,
        typer.Option(
            "--reuse-port",
            help="Share the port with other `rom serve --reuse-port` processes (SO_REUSEPORT: the "
            "kernel spreads connections over them); for several processes on one PostgreSQL.",
        ),
    ] = False,
) -> None:
    """Run the TMF652/TMF639 API and the order worker."""
    import uvicorn

    from api.app import create_app
    from core.db import make_engine

    settings = get_settings()
    if upgrade_db:
        settings = settings.model_copy(update={"db_upgrade": True})
    make_engine(settings.effective_database_url, upgrade=settings.db_upgrade).dispose()  # refuse early
    if trace := os.environ.get("ROM_GC_TRACE"):
        trace_gc(trace)
    for name in ("rom", "core", "intent", "events", "inventory.audit"):  # the order path's own logs
        logging.getLogger(name).setLevel(logging.INFO)
    if not reuse_port:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
        return
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind((host, port))
    uvicorn.Server(uvicorn.Config(create_app(settings), log_level="info")).run(sockets=[listener])


def trace_gc(path: str) -> None:
    """ROM_GC_TRACE=<file>: append one line per garbage collection to the file, "<generation>
    <pause ms> <unix time>" (bench.order_ab reads them). os.write: no lock taken inside a collection."""
    import gc

    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    began = [0.0]

    def timed(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            began[0] = time.perf_counter()
            return
        took = 1e3 * (time.perf_counter() - began[0])
        os.write(fd, f"{info['generation']} {took:.3f} {time.time():.3f}\n".encode())

    gc.callbacks.append(timed)


def sims(
    topology: Annotated[
        Path | None, typer.Option(help="Serve this topology's simulator nodes; its links form the network.")
    ] = None,
    count: Annotated[int, typer.Option(help="Without a topology: how many routers.")] = 1,
    prefix: Annotated[str, typer.Option(help="Without a topology: device name prefix.")] = "r",
    node: Annotated[str | None, typer.Option(help="Serve one named node (container mode).")] = None,
    model: Annotated[str, typer.Option(help="Device model for --node/--count.")] = "router",
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    netconf_port: Annotated[int, typer.Option(help="First NETCONF port; 0 picks free ports.")] = 0,
    gnmi_port: Annotated[int, typer.Option(help="First gNMI port; 0 picks free ports.")] = 0,
    gnmi: Annotated[bool, typer.Option(help="Serve gNMI besides NETCONF.")] = True,
    gnmi_tls: Annotated[
        bool, typer.Option(help="gNMI over TLS (lab CA and certificates in the state dir).")
    ] = False,
    gnmi_mtls: Annotated[
        bool, typer.Option(help="gNMI over mutual TLS: clients need a lab CA certificate.")
    ] = False,
    control_port: Annotated[int, typer.Option(help="Loopback control API port (faults); 0: free.")] = 0,
    state_dir: Annotated[Path | None, typer.Option(help="Where endpoints.json and the host key go.")] = None,
) -> None:
    """Run simulated devices (NETCONF over SSH, gNMI) until interrupted; writes endpoints.json
    (with the control API's URL)."""
    from sims.host import run_fleet
    from sims.specs import SimDeviceSpec
    from sims.topology import load_topology_file, simulated_nodes

    logging.getLogger("sims").setLevel(logging.INFO)
    doc = None
    if topology is not None:
        try:
            doc = load_topology_file(topology)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--topology") from None
        names = simulated_nodes(doc)
    elif node is not None:
        names = [(node, model)]
    else:
        names = [(f"{prefix}{i}", model) for i in range(1, count + 1)]
    specs = [
        SimDeviceSpec(
            name,
            kind,
            host,
            netconf_port=netconf_port + i if netconf_port else 0,
            gnmi_port=gnmi_port + i if gnmi_port else 0,
        )
        for i, (name, kind) in enumerate(names)
    ]
    run_fleet(
        specs,
        state_dir or get_settings().var_dir / "sims",
        gnmi=gnmi,
        gnmi_tls=gnmi_tls,
        gnmi_mtls=gnmi_mtls,
        topology=doc,
        control_port=control_port,
    )


def health(
    wait: Annotated[
        float, typer.Option(help="Seconds to keep trying while the API is not up yet (0: ask once).")
    ] = 0.0,
) -> None:
    """Ask `rom serve` at ROM_API_URL whether it is up, e.g. right after starting it in the background."""
    import time

    import httpx

    from cli.order import _check, _client

    deadline = time.monotonic() + wait
    with _client() as http:
        while True:
            try:
                body = _check(http.get("/health"))
                break
            except httpx.TransportError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.2)
    typer.echo(f"ROM API at {http.base_url}: {body.get('status', 'ok')}")
