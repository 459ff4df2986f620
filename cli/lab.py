"""`rom lab up|down|status`: containerlab topologies started locally."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from core.settings import get_settings
from inventory.context import Context
from lab.containerlab import (
    Topology,
    lab_down,
    lab_up,
    load_topology,
    read_control_url,
    read_endpoints,
    running_pid,
    state_dir,
)

app = typer.Typer(help="Start, stop and inspect lab topologies (containerlab files, run as local processes).")
DEFAULT_TOPOLOGY = Path("topologies/l3vpn.clab.yml")
TopologyArg = Annotated[Path, typer.Argument(help="A containerlab *.clab.yml file.")]


def _show(
    topology: Topology, endpoints: list[dict[str, Any]], running: bool, control_url: str | None = None
) -> None:
    table = Table(title=f"lab {topology.name} ({'running' if running else 'stopped'})")
    for col in ("node", "kind", "model", "role", "netconf", "gnmi"):
        table.add_column(col)
    by_name = {ep["name"]: ep for ep in endpoints}
    for n in topology.nodes:
        ep = by_name.get(n.name)
        where = f"{ep['host']}:{ep['netconf_port']}" if ep else "-" if n.model else "not simulated locally"
        gnmi = f"{ep['host']}:{ep['gnmi_port']}" if ep and ep.get("gnmi_port") else "-"
        table.add_row(n.name, n.kind, n.model or "", n.role, where, gnmi)
    Console().print(table)
    if control_url:
        Console().print(f"control API (faults, links): {control_url}")


@app.command()
def up(topology: TopologyArg = DEFAULT_TOPOLOGY) -> None:
    """Start the topology's simulator nodes and add them to the inventory."""
    topo = load_topology(topology)
    ctx = Context.create(get_settings())
    with Console().status(f"starting lab {topo.name}…"):
        endpoints = lab_up(ctx, topo)
    _show(topo, endpoints, running=True, control_url=read_control_url(state_dir(ctx, topo)))


@app.command()
def down(topology: TopologyArg = DEFAULT_TOPOLOGY) -> None:
    """Stop the topology's simulator nodes."""
    topo = load_topology(topology)
    stopped = lab_down(Context.create(get_settings()), topo)
    Console().print(f"lab {topo.name}: {'stopped' if stopped else 'was not running'}")


@app.command()
def status(topology: TopologyArg = DEFAULT_TOPOLOGY) -> None:
    """Show the topology's nodes and where they listen."""
    topo = load_topology(topology)
    directory = state_dir(Context.create(get_settings()), topo)
    running = running_pid(directory) is not None
    _show(
        topo,
        read_endpoints(directory) if running else [],
        running,
        read_control_url(directory) if running else None,
    )
