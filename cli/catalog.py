"""`rom catalog list|show`: the resource specifications an order can name, read from templates/
(or `ROM_CATALOG_DIR`)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from core.settings import get_settings
from intent.catalog import Catalog, CharacteristicSpec, ResourceSpec

app = typer.Typer(
    help="Resource specifications: what an order item can ask for, and with which characteristics."
)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _range(rule: CharacteristicSpec) -> str:
    if rule.enum is not None:
        return " | ".join(json.dumps(v) for v in rule.enum)
    if rule.minimum is not None or rule.maximum is not None:
        low = "" if rule.minimum is None else str(rule.minimum)
        high = "" if rule.maximum is None else str(rule.maximum)
        return f"{low}..{high}"
    return f"/{rule.pattern}/" if rule.pattern else ""


def _characteristic(name: str, rule: CharacteristicSpec) -> dict[str, Any]:
    return {
        "name": name,
        "type": rule.type,
        "required": rule.required,
        "default": rule.default,
        "allowed": _range(rule),
        "description": rule.description,
    }


def _summary(spec: ResourceSpec) -> dict[str, Any]:
    return {
        "id": spec.id,
        "name": spec.name,
        "category": spec.category,
        "roles": {role: sorted(r.platforms) for role, r in spec.roles.items()},
    }


@app.command("list")
def list_(as_json: JsonOption = False) -> None:
    """List every resource specification: id, roles and the platforms each role renders for."""
    specs = [_summary(s) for s in Catalog.load(get_settings().catalog_dir)]
    if as_json:
        typer.echo(json.dumps(specs, indent=2))
        return
    table = Table(title="resource specifications (`rom catalog show ID`)")
    for col in ("id", "name", "roles (platforms)"):
        table.add_column(col, overflow="fold")
    for s in specs:
        roles = ", ".join(f"{role} ({', '.join(p)})" for role, p in s["roles"].items())
        table.add_row(escape(s["id"]), escape(s["name"]), escape(roles))
    Console().print(table)


@app.command()
def show(
    spec_id: Annotated[str, typer.Argument(metavar="SPEC", help="A specification id, e.g. transport-qos.")],
    as_json: JsonOption = False,
) -> None:
    """Show one specification's characteristics: type, required or default, allowed values."""
    spec = Catalog.load(get_settings().catalog_dir).get(spec_id)
    rows = [_characteristic(name, rule) for name, rule in spec.characteristics.items()]
    if as_json:
        typer.echo(json.dumps({**_summary(spec), "characteristics": rows}, indent=2))
        return
    console = Console()
    console.print(f"[bold]{escape(spec.id)}[/] {escape(spec.name)} (version {escape(spec.version)})")
    if spec.description:
        console.print(escape(spec.description.strip()), highlight=False)
    for role, binding in spec.roles.items():
        console.print(
            f"role {escape(role)}: device from {escape(binding.device_characteristic)}, "
            f"platforms {escape(', '.join(sorted(binding.platforms)))}",
            highlight=False,
        )
    table = Table(title="characteristics")
    table.add_column("name", no_wrap=True)
    table.add_column("type", no_wrap=True)
    table.add_column("required", no_wrap=True)
    table.add_column("default", overflow="ellipsis")
    table.add_column("allowed", overflow="ellipsis")  # a long pattern ends in …; --format json has it whole
    for row in rows:
        default = "" if row["default"] is None else json.dumps(row["default"])
        cells = (row["name"], row["type"], "yes" if row["required"] else "no", default, row["allowed"])
        table.add_row(*(escape(str(c)) for c in cells))
    console.print(table)
    for row in rows:
        if row["description"]:
            console.print(f"  [bold]{escape(row['name'])}[/]: {escape(row['description'])}", highlight=False)
