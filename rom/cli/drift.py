"""`rom drift report`: inventory versus the devices."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console

from inventory.reconcile import reconcile
from inventory.report import exit_code, render_json, render_markdown, render_table
from rom.context import Context
from rom.settings import get_settings

app = typer.Typer(help="Compare the inventory's intended state with the devices.")


class Format(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


@app.command()
def report(
    device: Annotated[str | None, typer.Option(help="Only this device.")] = None,
    resource: Annotated[str | None, typer.Option(help="Only this resource id.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
) -> None:
    """Report drift. Exit 0 when in sync, 1 on drift, 2 on error."""
    ctx = Context.create(get_settings())
    console = Console()
    with console.status("collecting device state…"):
        result = reconcile(ctx, device=device, resource_id=resource)
    if fmt is Format.json:
        typer.echo(render_json(result))
    elif fmt is Format.markdown:
        typer.echo(render_markdown(result))
    else:
        render_table(result, console)
    raise typer.Exit(exit_code(result))
