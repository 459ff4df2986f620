"""`rom lab up|down|status`: containerlab topologies started locally."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from core.errors import InvalidRequest, RomError
from core.settings import get_settings
from intent.catalog import did_you_mean
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
from sims.faults import KINDS

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


FAULT_KINDS = tuple(sorted(KINDS))
FaultKindArg = Annotated[
    str, typer.Argument(metavar="KIND", help=f"One of: {', '.join(FAULT_KINDS)}.", show_default=False)
]
LabOption = Annotated[
    Path | None, typer.Option("--topology", help="The lab's topology file (default: the one lab running).")
]


def _control_url(topology: Path | None) -> str:
    """The control API of the given lab, or of the only lab running."""
    ctx = Context.create(get_settings())
    if topology is not None:
        directories = [state_dir(ctx, load_topology(topology))]
    else:
        directories = sorted(p for p in (ctx.settings.var_dir / "lab").glob("*") if running_pid(p))
    running = [(d, url) for d in directories if running_pid(d) and (url := read_control_url(d))]
    if len(running) != 1:
        names = ", ".join(d.name for d, _ in running) or "none"
        raise InvalidRequest(
            f"{'no lab is running' if not running else 'several labs are running'} (running: {names}); "
            "start one with `rom lab up TOPOLOGY`" + (" or pass --topology" if running else "")
        )
    return running[0][1]


def _control(topology: Path | None, method: str, path: str, **kwargs: Any) -> Any:
    url = _control_url(topology)
    try:
        response = httpx.request(method, f"{url}{path}", timeout=10.0, **kwargs)
    except httpx.HTTPError as exc:
        raise RomError(f"cannot reach the lab's control API at {url}: {exc}") from None
    if response.is_error:
        detail = response.json().get("detail") if response.content else response.text
        raise InvalidRequest(f"control API refused: {response.status_code} {_detail(detail)}")
    return response.json() if response.content else None


def _detail(detail: Any) -> str:
    if isinstance(detail, list):  # FastAPI validation errors
        return "; ".join(f"{'.'.join(map(str, e.get('loc', [])[1:]))}: {e.get('msg')}" for e in detail)
    return str(detail)


@app.command()
def fault(
    device: Annotated[str, typer.Argument(help="The simulated device, e.g. gnb1.")],
    kind: FaultKindArg,
    slice_: Annotated[
        str | None, typer.Option("--slice", help="S-NSSAI '<sst>-<sd>' (load, degrade-kpi, drop-sessions).")
    ] = None,
    count: Annotated[int, typer.Option(help="How many times (fail-commit, fail-validate, ...).")] = 1,
    latency_ms: Annotated[float, typer.Option(help="Added latency in ms (latency, degrade-kpi).")] = 0.0,
    load: Annotated[float, typer.Option(help="Load factor (load).")] = 1.0,
    message: Annotated[str | None, typer.Option(help="Error message the device returns.")] = None,
    topology: LabOption = None,
) -> None:
    """Inject a fault into a running lab's simulator, through the lab's control API."""
    if kind not in FAULT_KINDS:
        raise InvalidRequest(
            f"unknown fault kind {kind!r}{did_you_mean(kind, list(FAULT_KINDS))}; "
            f"known: {', '.join(FAULT_KINDS)}"
        )
    body: dict[str, Any] = {"kind": kind, "device": device, "count": count, "load": load}
    body.update({"latency_ms": latency_ms, "slice": slice_, "message": message})
    made = _control(topology, "POST", "/faults", json={k: v for k, v in body.items() if v is not None})
    typer.echo(f"fault {made.get('id')}: {kind} on {device} (`rom lab clear {made.get('id')}` removes it)")


@app.command()
def faults(topology: LabOption = None) -> None:
    """List the faults injected into a running lab."""
    found = _control(topology, "GET", "/faults")["faults"]
    table = Table(title=f"{len(found)} fault(s)")
    for col in ("id", "kind", "device", "detail"):
        table.add_column(col, overflow="fold")
    for f in found:
        skip = ("id", "kind", "device", "created")
        detail = " ".join(f"{k}={v}" for k, v in f.items() if k not in skip and v not in (None, "", 0))
        table.add_row(*(escape(str(c)) for c in (f.get("id"), f.get("kind"), f.get("device") or "", detail)))
    Console().print(table)


@app.command()
def clear(
    fault_id: Annotated[str | None, typer.Argument(metavar="ID", help="One fault (default: all).")] = None,
    topology: LabOption = None,
) -> None:
    """Remove one injected fault, or all of them."""
    _control(topology, "DELETE", f"/faults/{fault_id}" if fault_id else "/faults")
    typer.echo(f"cleared {fault_id or 'every fault'}")
