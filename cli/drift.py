"""`rom drift report|remediate|adopt`: inventory versus the devices (exit 0 in sync, 1 drift, 2 error)."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from cli.device import known_device
from core.errors import EXPECTED
from core.settings import get_settings
from drift.reconcile import Mode, reconcile
from drift.remediate import adopt as adopt_values
from drift.remediate import remediate as push_intended
from drift.report import (
    EXIT_DRIFT,
    EXIT_ERROR,
    EXIT_IN_SYNC,
    exit_code,
    render_json,
    render_markdown,
    render_table,
)
from inventory.context import Context

app = typer.Typer(help="Compare the inventory's intended state with the devices.")
Device = Annotated[str | None, typer.Option(help="Only this device.")]
ResourceId = Annotated[str | None, typer.Option("--resource", help="Only this resource id.")]


class Format(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


@app.command()
def report(
    device: Device = None,
    resource: ResourceId = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
    check_sync: Annotated[
        bool, typer.Option("--check-sync", help="Fingerprints only: in sync, out-of-sync or unknown.")
    ] = False,
    full: Annotated[
        bool, typer.Option("--full", help="Full compare of every resource (no fingerprints).")
    ] = False,
) -> None:
    """Report drift. Exit 0 when in sync, 1 on drift, 2 on error (e.g. an unreachable device)."""
    ctx = Context.create(get_settings())
    console = Console(stderr=fmt is not Format.table)
    mode: Mode = "check-sync" if check_sync else "compare-all" if full else "full"
    try:
        if device:
            known_device(ctx, device)
        with console.status("collecting device state…"):
            result = reconcile(ctx, device=device, resource_id=resource, mode=mode)
    except EXPECTED as exc:
        Console(stderr=True).print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(EXIT_ERROR) from None
    if fmt is Format.json:
        typer.echo(render_json(result))
    elif fmt is Format.markdown:
        typer.echo(render_markdown(result))
    else:
        render_table(result, console)
    raise typer.Exit(exit_code(result))


@app.command()
def remediate(
    device: Device = None,
    resource: ResourceId = None,
    apply: Annotated[
        bool,
        typer.Option("--apply/--dry-run", help="Push (all-or-nothing), or only show the payloads and diffs."),
    ] = False,
    prune_unmanaged: Annotated[bool, typer.Option(help="Also delete unmanaged entries.")] = False,
) -> None:
    """Push the intended configuration of every drifted resource (dry run unless --apply)."""
    ctx = Context.create(get_settings())
    console = Console()
    try:
        if device:
            known_device(ctx, device)
        with console.status("reading devices…" if not apply else "remediating…"):
            result = push_intended(ctx, device, resource, apply=apply, prune_unmanaged=prune_unmanaged)
    except EXPECTED as exc:
        Console(stderr=True).print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(EXIT_ERROR) from None
    for name in result.skipped:
        console.print(f"[yellow]{escape(name)}: unreachable, skipped[/]")
    if not result.payloads:
        console.print("nothing to remediate")
        raise typer.Exit(EXIT_ERROR if result.skipped else EXIT_IN_SYNC)
    for name, per in sorted(result.payloads.items()):
        for protocol, payload in per.items():
            console.rule(f"{escape(name)} ({protocol})")
            console.print(escape(result.diffs.get(name, {}).get(protocol) or payload), highlight=False)
    for error in result.errors:
        console.print(f"[red]{escape(error)}[/]")
    if not apply:
        console.print(f"dry run: {len(result.payloads)} device(s) would change; --apply pushes")
        raise typer.Exit(EXIT_ERROR if result.errors else EXIT_DRIFT)
    console.print("remediated" if result.applied else "[red]remediation failed, every device rolled back[/]")
    raise typer.Exit(EXIT_IN_SYNC if result.applied and not result.skipped else EXIT_ERROR)


@app.command()
def adopt(device: Device = None, resource: ResourceId = None) -> None:
    """Take the devices' values into the inventory's characteristics where a leaf maps to one."""
    ctx = Context.create(get_settings())
    console = Console()
    try:
        result = adopt_values(ctx, device, resource)
    except EXPECTED as exc:
        Console(stderr=True).print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(EXIT_ERROR) from None
    for rid, values in result.adopted.items():
        console.print(f"adopted into {escape(rid)}: {escape(json.dumps(values))}")
    for problem in result.not_adoptable:
        console.print(f"[yellow]not adopted: {escape(problem)}[/]")
    raise typer.Exit(EXIT_DRIFT if result.not_adoptable else EXIT_IN_SYNC)
