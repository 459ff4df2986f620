"""`rom inventory show|owners|devices|import|pools|pool-define|pool-sync`: the TMF639 resources ROM
recorded (and whether each device path has one owner), the devices it manages and its resource pools."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import func, select

from cli.tables import WideOption, short_id
from core.errors import EXPECTED, RomError
from core.settings import get_settings
from drivers.errors import DriverError
from inventory.context import Context
from inventory.importers import load_devices
from inventory.pool_defs import DEFAULT_POOLS, define_pool, get_pool
from inventory.pool_store import CounterRow, PoolRow, ReservationRow
from inventory.pool_sync import sync_upf_sessions
from inventory.records import list_devices, list_resources, upsert_device
from inventory.tmf639 import resource_doc

app = typer.Typer(help="The TMF639 resource inventory.")


@app.command()
def show(
    device: Annotated[str | None, typer.Option(help="Only resources on this device.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print TMF639 JSON.")] = False,
    wide: WideOption = False,
) -> None:
    """List resources with their states (--wide: and their characteristics)."""
    ctx = Context.create(get_settings())
    with ctx.sessions() as session:
        resources = list_resources(session, device=device)
    if as_json:
        typer.echo(json.dumps([resource_doc(r) for r in resources], indent=2, default=str))
        return
    hint = "" if wide else " (--wide: full ids and characteristics)"
    table = Table(title=f"{len(resources)} resource(s){hint}")
    table.add_column("id", no_wrap=True)
    for col in ("name", "specification", "device", "status"):
        table.add_column(col, overflow="fold")
    if wide:
        table.add_column("characteristics", overflow="fold")
    for r in resources:
        cells = [short_id(r.id, wide), r.name, r.spec_id, r.device, r.resource_status]
        if wide:
            cells.append(", ".join(f"{k}={v}" for k, v in r.characteristics.items() if k != "device"))
        table.add_row(*(escape(str(c)) for c in cells))
    Console().print(table)


@app.command()
def owners(device: Annotated[str | None, typer.Option(help="Only resources on this device.")] = None) -> None:
    """Resources that repeat one another, and device paths live resources want with different
    values (made before intake refused them): delete or modify them so that drift remediation can
    converge. One line each."""
    from inventory.ownership import owner_problems

    ctx = Context.create(get_settings())
    with ctx.sessions() as session:
        found = owner_problems(ctx, session, device)
    console = Console()
    for line in found.lines():
        console.print(f"[yellow]conflict:[/] {escape(line)}", highlight=False, soft_wrap=True)
    if found.repeats or found.disagreements:
        raise typer.Exit(1)
    console.print("one owner per path: no conflicts")


@app.command()
def devices(wide: WideOption = False) -> None:
    """The managed devices: where they are reached and the name of their credentials (never a value)."""
    ctx = Context.create(get_settings())
    with ctx.sessions() as session:
        rows = list_devices(session)
    table = Table(title="devices" if wide else "devices (--wide: where each came from)")
    columns = ["name", "host", "netconf", "gnmi", "platform", "role", "credentials"]
    for col in columns + (["source"] if wide else []):
        table.add_column(col, overflow="ellipsis", min_width=min(len(col), 8))
    for d in rows:
        cells = [d.name, d.host, str(d.port), str(d.gnmi_port or "-"), d.platform, d.role]
        cells += [d.credentials or "(default)", *([d.source] if wide else [])]
        table.add_row(*(escape(c) for c in cells))
    Console().print(table)


@app.command("import")
def import_devices(
    file: Annotated[Path, typer.Argument(help="A fleet endpoints.json or a Nornir hosts.yaml.")],
) -> None:
    """Add or update devices in the inventory."""
    devices = load_devices(file)
    ctx = Context.create(get_settings())
    with ctx.transaction() as session:
        for device in devices:
            upsert_device(session, device)
    Console().print(f"imported {len(devices)} device(s) from {escape(str(file))}")


@app.command()
def pools() -> None:
    """Resource pools: definition and what is reserved from each."""
    ctx = Context.create(get_settings())
    table = Table(title="resource pools")
    table.add_column("pool", overflow="ellipsis")
    table.add_column("kind", overflow="ellipsis")
    table.add_column("definition", overflow="ellipsis", min_width=21)  # prefix=10.255.0.0/16 whole
    for col in ("reserved values", "capacity used"):
        table.add_column(col, justify="right", max_width=9)
    with ctx.sessions() as session:
        names = sorted(set(DEFAULT_POOLS) | set(session.scalars(select(PoolRow.name))))
        for name in names:
            pool = get_pool(session, name)
            held = session.scalar(
                select(func.count()).where(ReservationRow.pool == name, ReservationRow.amount == 0)
            )
            used = session.scalar(select(func.sum(CounterRow.used)).where(CounterRow.pool == name))
            table.add_row(name, pool.kind, escape(_words(pool.definition)), str(held or 0), str(used or 0))
    Console().print(table)


def _words(definition: dict[str, object]) -> str:
    """`prefix=10.255.0.0/16 length=32`: words a narrow column wraps between, never inside."""
    return " ".join(
        f"{k}={json.dumps(v) if isinstance(v, (dict, list)) else v}" for k, v in definition.items()
    )


@app.command("pool-define")
def pool_define(
    name: Annotated[str, typer.Argument(help="Pool name, e.g. vlan or bandwidth.")],
    kind: Annotated[str, typer.Argument(help="range | prefix | asn-number | capacity")],
    definition: Annotated[str, typer.Argument(help='JSON, e.g. \'{"min": 100, "max": 999}\'.')],
) -> None:
    """Create or replace a pool definition (overrides the built-in default of that name)."""
    ctx = Context.create(get_settings())
    try:
        with ctx.transaction() as session:
            pool = define_pool(session, name, kind, json.loads(definition))
    except (RomError, DriverError, json.JSONDecodeError) as exc:
        Console(stderr=True).print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    Console().print(f"pool {escape(pool.name)} ({pool.kind}): {escape(json.dumps(pool.definition))}")


@app.command("pool-sync")
def pool_sync() -> None:
    """Set each UPF's upf-sessions capacity to the maxSessions it states (read over NETCONF)."""
    ctx = Context.create(get_settings())
    err = Console(stderr=True)
    logging.getLogger("nornir.core").setLevel(logging.CRITICAL)  # failures are reported below
    try:
        result = sync_upf_sessions(ctx)
    except EXPECTED as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    for device, capacity in sorted(result.found.items()):
        Console().print(f"{escape(device)}: {capacity} PDU sessions")
    for device, problem in sorted(result.problems.items()):
        err.print(f"[yellow]{escape(device)}:[/] not read: {escape(problem)}")
    if result.problems:
        raise typer.Exit(1)
