"""`rom serve` (API + order worker) and `rom sims` (the simulator fleet host)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from rom.settings import get_settings


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port for the TMF APIs.")] = 8080,
) -> None:
    """Run the TMF652/TMF639 API and the order worker."""
    import uvicorn

    from api.app import create_app

    logging.getLogger("rom").setLevel(logging.INFO)
    uvicorn.run(create_app(get_settings()), host=host, port=port, log_level="info")


def sims(
    topology: Annotated[Path | None, typer.Option(help="Serve this topology's simulator nodes.")] = None,
    count: Annotated[int, typer.Option(help="Without a topology: how many routers.")] = 1,
    prefix: Annotated[str, typer.Option(help="Without a topology: device name prefix.")] = "r",
    node: Annotated[str | None, typer.Option(help="Serve one named node (container mode).")] = None,
    model: Annotated[str, typer.Option(help="Device model for --node/--count.")] = "router",
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    netconf_port: Annotated[int, typer.Option(help="First NETCONF port; 0 picks free ports.")] = 0,
    state_dir: Annotated[Path | None, typer.Option(help="Where endpoints.json and the host key go.")] = None,
) -> None:
    """Run simulated devices (NETCONF over SSH) until interrupted; writes endpoints.json."""
    from rom.lab import load_topology
    from sims.fleet import SimDeviceSpec, run_fleet

    logging.getLogger("sims").setLevel(logging.INFO)
    if topology is not None:
        names = [(n.name, n.model or model) for n in load_topology(topology).simulated]
    elif node is not None:
        names = [(node, model)]
    else:
        names = [(f"{prefix}{i}", model) for i in range(1, count + 1)]
    specs = [
        SimDeviceSpec(name, kind, host, netconf_port=netconf_port + i if netconf_port else 0)
        for i, (name, kind) in enumerate(names)
    ]
    run_fleet(specs, state_dir or get_settings().var_dir / "sims")
