"""The `rom` command line."""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import httpx
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from typer._click.exceptions import ClickException

from cli import audit, catalog, db, device, drift, help_format, inventory, lab, logs, order, serve, telemetry
from core.errors import EXPECTED

app = typer.Typer(
    help="ROM: resource order manager. TMF652 orders in, NETCONF/gNMI transactions out.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version() -> str:
    try:
        return version("rom")
    except PackageNotFoundError:  # run from a checkout that was not installed
        return "unknown (not installed)"


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"rom {_version()}")
        raise typer.Exit(0)


@app.callback()
def root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Log everything, with tracebacks (same as ROM_LOG_LEVEL=DEBUG).")
    ] = False,
    show_version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", is_eager=True, callback=_show_version),
    ] = False,
) -> None:
    """Options for every command (its exit codes: cli/exit_codes.py ROOT)."""
    if debug:  # main() configured the default already
        logs.configure(debug=True)


app.command("serve")(serve.serve)
app.command("sims")(serve.sims)
app.command("health")(serve.health)
app.add_typer(catalog.app, name="catalog")
app.add_typer(lab.app, name="lab")
app.add_typer(order.app, name="order")
app.add_typer(drift.app, name="drift")
app.add_typer(device.app, name="device")
app.add_typer(inventory.app, name="inventory")
app.add_typer(telemetry.app, name="telemetry")
app.add_typer(audit.app, name="audit")
app.add_typer(db.app, name="db")
help_format.apply(app)


def main() -> None:
    """Entry point: ROM's own errors become one line on stderr and exit code 2."""
    logs.configure()
    try:
        code = app(standalone_mode=False, prog_name="rom")  # usage errors come here: one line, as below
    except ClickException as exc:
        if type(exc).__name__ != "NoArgsIsHelpError":  # that one has printed the help already
            Console(stderr=True).print(
                f"[red]error:[/] {escape(usage_error(exc))}", highlight=False, soft_wrap=True
            )
        sys.exit(exc.exit_code)
    except typer.Abort:
        Console(stderr=True).print("aborted")
        sys.exit(1)
    except EXPECTED as exc:
        if logs.debugging():
            Console(stderr=True).print_exception()
        Console(stderr=True).print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except httpx.HTTPError as exc:
        Console(stderr=True).print(
            f"[red]error:[/] {escape(unreachable_api(exc))}", highlight=False, soft_wrap=True
        )
        sys.exit(2)
    except ValidationError as exc:  # e.g. ROM_* settings that do not fit together
        problems = "; ".join(_setting(exc.title, err["loc"]) + err["msg"] for err in exc.errors())
        Console(stderr=True).print(f"[red]error:[/] invalid {exc.title}: {problems}", highlight=False)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)


def usage_error(exc: ClickException) -> str:
    """typer's message (which names the valid choices) and where the help is, on one line."""
    ctx = getattr(exc, "ctx", None)
    where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
    return " ".join(exc.format_message().split()).rstrip(".") + where


def unreachable_api(exc: httpx.HTTPError) -> str:
    """What failed, where, and what to start."""
    try:
        url = str(exc.request.url.copy_with(path="/", query=None))
    except RuntimeError:  # no request attached
        url = "the ROM API"
    return (
        f"cannot reach the ROM API at {url} ({type(exc).__name__}: {exc}); "
        "start it with `rom serve` (and the lab with `rom lab up`), or point ROM_API_URL at it"
    )


def _setting(model: str, loc: tuple[int | str, ...]) -> str:
    """``ROM_<FIELD>: `` for an error about one setting ("" for the whole model)."""
    return f"ROM_{str(loc[0]).upper()}: " if model == "Settings" and loc else ""
