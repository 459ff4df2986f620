"""`rom inventory show|import`: the TMF639 resources ROM recorded, and the devices it manages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import func, select

from inventory.importers import load_devices
from inventory.pool_defs import DEFAULT_POOLS, define_pool, get_pool
from inventory.pool_store import CounterRow, PoolRow, ReservationRow
from inventory.store import list_resources, upsert_device
from inventory.tmf639 import resource_doc
from rom.context import Context
from rom.errors import RomError
from rom.settings import get_settings

app = typer.Typer(help="The TMF639 resource inventory.")


@app.command()
def show(
    device: Annotated[str | None, typer.Option(help="Only resources on this device.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print TMF639 JSON.")] = False,
) -> None:
    """List resources with their characteristics and states."""
    ctx = Context.create(get_settings())
    with ctx.sessions() as session:
        resources = list_resources(session, device=device)
    if as_json:
        typer.echo(json.dumps([resource_doc(r) for r in resources], indent=2, default=str))
        return
    table = Table(title="resources")
    for col in ("id", "name", "specification", "device", "status", "characteristics"):
        table.add_column(col, overflow="fold")
    for r in resources:
        values = ", ".join(f"{k}={v}" for k, v in r.characteristics.items() if k != "device")
        table.add_row(*(escape(c) for c in (r.id, r.name, r.spec_id, r.device, r.resource_status, values)))
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
    for col in ("pool", "kind", "definition", "reserved values", "capacity used"):
        table.add_column(col, overflow="fold")
    with ctx.sessions() as session:
        names = sorted(set(DEFAULT_POOLS) | set(session.scalars(select(PoolRow.name))))
        for name in names:
            pool = get_pool(session, name)
            held = session.scalar(
                select(func.count()).where(ReservationRow.pool == name, ReservationRow.amount == 0)
            )
            used = session.scalar(select(func.sum(CounterRow.used)).where(CounterRow.pool == name))
            table.add_row(
                name, pool.kind, escape(json.dumps(pool.definition)), str(held or 0), str(used or 0)
            )
    Console().print(table)


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
    except (RomError, json.JSONDecodeError) as exc:
        Console(stderr=True).print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    Console().print(f"pool {escape(pool.name)} ({pool.kind}): {escape(json.dumps(pool.definition))}")
