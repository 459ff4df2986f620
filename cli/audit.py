"""`rom audit list|show`: the audit trail of device changes, read through `rom serve` (scope `admin`)."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.syntax import Syntax
from rich.table import Table

from cli.order import _check, _client
from cli.tables import WideOption, short_id, short_time
from inventory.audit import AUDIT_PATH
from rom.reachability import result_line

app = typer.Typer(help="Who changed which device, for which order, with which diff (needs scope admin).")


class Format(StrEnum):
    table = "table"
    json = "json"


SHOWN = ("id", "time", "device", "protocols", "action", "outcome", "orderId", "correlationId", "principal")
FormatOption = Annotated[Format, typer.Option("--format", help="Output format.")]


def _get(path: str, params: dict[str, Any] | None = None) -> Any:
    with _client() as client:
        response = client.get(path, params=params)
    _check(response)
    return response.json()


@app.command("list")
def list_(
    device: Annotated[str | None, typer.Option(help="Only this device.")] = None,
    order: Annotated[str | None, typer.Option(help="Only this order id.")] = None,
    correlation_id: Annotated[str | None, typer.Option(help="Only this correlationId.")] = None,
    principal: Annotated[str | None, typer.Option(help="Only changes by this principal.")] = None,
    since: Annotated[
        str | None, typer.Option(help="From this time on (ISO 8601, e.g. 2026-01-31T10:00Z).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Before this time (ISO 8601).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many entries.")] = 50,
    fmt: FormatOption = Format.table,
    wide: WideOption = False,
) -> None:
    """Device changes, newest first."""
    filters = {
        "device": device,
        "orderId": order,
        "correlationId": correlation_id,
        "principal": principal,
        "since": since,
        "until": until,
    }
    params = {k: v for k, v in filters.items() if v is not None} | {"limit": limit}
    entries: list[dict[str, Any]] = _get(AUDIT_PATH, params)
    if fmt is Format.json:
        typer.echo(json.dumps(entries, indent=2))
        return
    table = Table(title=f"audit trail ({len(entries)} entries; `rom audit show ID`: the diff)")
    columns = ["id", "time (UTC)", "device", "action", "outcome", "order", "principal"]
    for col in columns + (["correlationId", "error"] if wide else []):
        table.add_column(col, overflow="fold", no_wrap=col in ("id", "time (UTC)", "order"))
    for e in entries:
        cells = [e["id"], short_time(e["time"], wide), e["device"], e["action"], e["outcome"]]
        cells += [short_id(e["orderId"], wide), e["principal"]]
        if wide:
            cells += [e["correlationId"], e["error"] or ""]
        table.add_row(*(escape(str(c)) for c in cells))
    console = Console()
    console.print(table)
    if not wide:  # a failure's reason, one line each, under the table
        for e in entries:
            if e["error"]:
                console.print(f"  [red]{e['id']}:[/] {escape(e['error'])}", highlight=False)


@app.command("show")
def show(
    entry_id: Annotated[int, typer.Argument(help="Audit entry id.")], fmt: FormatOption = Format.table
) -> None:
    """One device change with its native diff."""
    entry: dict[str, Any] = _get(f"{AUDIT_PATH}/{entry_id}")
    if fmt is Format.json:
        typer.echo(json.dumps(entry, indent=2))
        return
    console = Console()
    for key in SHOWN:
        value = ", ".join(entry[key]) if isinstance(entry[key], list) else entry[key]
        console.print(f"[bold]{key}:[/] {escape(str(value if value is not None else ''))}", highlight=False)
    if entry["error"]:
        console.print(f"[bold]error:[/] [red]{escape(entry['error'])}[/]", highlight=False)
    for check in entry.get("checks") or []:  # the order's post-check results (reachability probes)
        console.print(f"[bold]check:[/] {escape(result_line(check))}", highlight=False)
    console.print("[bold]diff:[/]" if entry["diff"] else "[bold]diff:[/] (none: nothing was applied)")
    if entry["diff"]:
        console.print(Syntax(entry["diff"], "diff", word_wrap=True))
