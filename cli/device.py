"""`rom device list|get-config|edit-config`: direct access to managed devices, outside any order."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

import typer
from lxml import etree
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from core.errors import InvalidRequest, NotFound, RomError
from core.settings import get_settings
from drivers.nornir_plugins import make_nornir
from drivers.registry import default_protocol, driver_for
from drivers.transaction import run_transaction
from intent.catalog import did_you_mean
from inventory import audit
from inventory.context import Context
from inventory.records import Device, list_devices
from rom.reachability import ping_device, summary

app = typer.Typer(help="Inspect and change devices directly (out-of-band: the inventory is not updated).")


def known_device(ctx: Context, name: str) -> Device:
    """The inventory's device `name`, or NotFound naming the closest and every known one."""
    with ctx.sessions() as session:
        found = list_devices(session, [name])
        known = [d.name for d in list_devices(session)] if not found else []
    if not found:
        raise NotFound(
            f"device {name!r} is not in the inventory{did_you_mean(name, known)}; "
            f"known: {', '.join(known) or 'none (`rom lab up` or `rom inventory import`)'}"
        )
    return found[0]


def _read(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text()
    except OSError as exc:
        raise InvalidRequest(f"cannot read {path}: {exc}") from None


@app.command("list")
def list_() -> None:
    """Devices in the inventory."""
    ctx = Context.create(get_settings())
    with ctx.sessions() as session:
        devices = list_devices(session)
    table = Table(title="devices")
    for col in ("name", "platform", "role", "address", "source"):
        table.add_column(col)
    for d in devices:
        table.add_row(*(escape(c) for c in (d.name, d.platform, d.role, f"{d.host}:{d.port}", d.source)))
    Console().print(table)


@app.command("get-config")
def get_config(
    name: str,
    filter_file: Annotated[Path | None, typer.Option("--filter", help="Subtree filter XML.")] = None,
) -> None:
    """Print a device's running configuration."""
    ctx = Context.create(get_settings())
    driver = driver_for(ctx.target(known_device(ctx, name)))
    driver.open()
    try:
        data = etree.fromstring(driver.get_config(_read(filter_file)).encode())
        typer.echo(etree.tostring(data, pretty_print=True, encoding="unicode"))
    finally:
        driver.close()


@app.command("edit-config")
def edit_config(name: str, config_file: Path) -> None:
    """Load a `<config>` document into a device's candidate and commit it (confirmed commit, then
    confirm; rolled back on any error). Recorded in the audit trail as `cli:<user>`."""
    ctx = Context.create(get_settings())
    payload = _read(config_file)
    assert payload is not None
    device = known_device(ctx, name)
    correlation_id = f"cli-{uuid.uuid4()}"
    outcome = run_transaction(
        make_nornir([ctx.target(device)], workers=1),
        {name: {default_protocol(device.platform): payload}},
        confirm_timeout=ctx.settings.confirm_timeout,
        persist_id=f"rom-{correlation_id}",
        on_outcome=audit.recorder(ctx, correlation_id, audit.local_principal()),
    )
    if not outcome.ok:
        raise RomError("; ".join(outcome.errors) or f"{name}: failed in {outcome.phase_failed}")
    Console().print(f"{name}: committed {config_file}")


@app.command("ping")
def ping(
    name: str,
    destination: str,
    vrf: Annotated[str, typer.Option("--vrf", help="Network instance to ping in.")] = "",
    count: Annotated[int, typer.Option("--count", min=1, max=100)] = 3,
) -> None:
    """Ping DESTINATION from device NAME (gNOI System.Ping, or the platform's NETCONF RPC), as the
    reachability post-check does; exits 1 when a probe is lost."""
    probe, result, problem = ping_device(Context.create(get_settings()), name, destination, vrf, count)
    if result is not None:
        typer.echo(summary(probe, result))
        if result.path:
            typer.echo(f"path: {' > '.join(result.path)}")
        if result.reason:
            typer.echo(f"device says: {result.reason}")
    if problem:
        typer.echo(problem, err=True)
        raise typer.Exit(1)


schema_app = typer.Typer(help="The YANG modules a device implements, fetched with <get-schema> (RFC 6022).")
app.add_typer(schema_app, name="schema")


def _schema_dir(ctx: Context, name: str) -> Path:
    return ctx.settings.var_dir / "yang" / name


@schema_app.command("fetch")
def schema_fetch(name: str) -> None:
    """Fetch every module the device announces into var/yang/NAME/ (NAME@REVISION.yang); exit 1 if
    the device refused some."""
    from drivers.netconf_schema import fetch_schemas

    ctx = Context.create(get_settings())
    fetched = fetch_schemas(ctx.target(known_device(ctx, name)))
    where = _schema_dir(ctx, name)
    where.mkdir(parents=True, exist_ok=True)
    for old in where.glob("*.yang"):
        old.unlink()
    for module, (revision, text) in fetched.modules.items():
        (where / (f"{module}@{revision}.yang" if revision else f"{module}.yang")).write_text(text)
        typer.echo(f"{module}@{revision or '-'}: {len(text)} characters")
    for module, reason in fetched.refused.items():
        typer.echo(f"{module}: not served: {reason}", err=True)
    typer.echo(f"{len(fetched.modules)} modules in {where}")
    if fetched.refused:
        raise typer.Exit(1)


@schema_app.command("show")
def schema_show(name: str) -> None:
    """List the modules fetched for a device (`rom device schema fetch`)."""
    ctx = Context.create(get_settings())
    files = sorted(_schema_dir(ctx, name).glob("*.yang"))
    if not files:
        raise NotFound(f"no YANG modules fetched for {name!r}: run `rom device schema fetch {name}`")
    for path in files:
        typer.echo(path.stem)
