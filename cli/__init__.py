"""The `rom` command line."""

from __future__ import annotations

import logging
import sys

import httpx
import typer
from pydantic import ValidationError
from rich.console import Console

from cli import audit, device, drift, inventory, lab, order, serve, telemetry
from core.errors import EXPECTED

app = typer.Typer(
    help="ROM: resource order manager. TMF652 orders in, NETCONF/gNMI transactions out.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("serve")(serve.serve)
app.command("sims")(serve.sims)
app.add_typer(lab.app, name="lab")
app.add_typer(order.app, name="order")
app.add_typer(drift.app, name="drift")
app.add_typer(device.app, name="device")
app.add_typer(inventory.app, name="inventory")
app.add_typer(telemetry.app, name="telemetry")
app.add_typer(audit.app, name="audit")


def main() -> None:
    """Entry point: ROM's own errors become one line on stderr and exit code 2."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        app()
    except EXPECTED as exc:
        Console(stderr=True).print(f"[red]error:[/] {exc}", highlight=False)
        sys.exit(2)
    except httpx.HTTPError as exc:
        Console(stderr=True).print(f"[red]error:[/] cannot reach the ROM API: {exc}", highlight=False)
        sys.exit(2)
    except ValidationError as exc:  # e.g. ROM_* settings that do not fit together
        problems = "; ".join(_setting(exc.title, err["loc"]) + err["msg"] for err in exc.errors())
        Console(stderr=True).print(f"[red]error:[/] invalid {exc.title}: {problems}", highlight=False)
        sys.exit(2)


def _setting(model: str, loc: tuple[int | str, ...]) -> str:
    """``ROM_<FIELD>: `` for an error about one setting ("" for the whole model)."""
    return f"ROM_{str(loc[0]).upper()}: " if model == "Settings" and loc else ""
