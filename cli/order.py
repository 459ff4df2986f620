"""`rom order submit|get|watch`: a TMF652 client for the ROM API."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table

from core.errors import InvalidRequest, RomError
from core.order_states import TERMINAL_STATES
from core.settings import get_settings
from rom.orders import ORDER_PATH

app = typer.Typer(help="Submit and follow TMF652 resource orders through `rom serve`.")


def _client() -> httpx.Client:
    settings = get_settings()
    key = settings.api_key.get_secret_value() if settings.api_key else None
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=settings.api_url, timeout=30.0, headers=headers)


def _check(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json() if response.content else {}
    if response.is_error:
        raise RomError(
            f"{response.status_code} {body.get('reason', '')}: {body.get('message', response.text)}"
        )
    return body


def show_order(order: dict[str, Any], console: Console) -> None:
    table = Table(title=f"resourceOrder {order['id']}: {order['state']}")
    for col in ("item", "action", "specification", "state", "resource"):
        table.add_column(col)
    for item in order.get("orderItem", []):
        spec = (item.get("resourceSpecification") or {}).get("id", "")
        resource = item.get("resource") or {}
        cells = (item["id"], item["action"], spec, item.get("state", ""), resource.get("id", ""))
        table.add_row(*(escape(str(c)) for c in cells))
    console.print(table)
    for note in order.get("note", []):
        if note.get("author") == "ROM":
            console.print(f"  [red]reason:[/] {escape(note['text'])}", highlight=False)


def wait_for(order_id: str, timeout: float, console: Console) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    with _client() as client, console.status(f"order {order_id}") as status:
        while True:
            order = _check(client.get(f"{ORDER_PATH}/{order_id}"))
            status.update(f"order {order_id}: {order['state']}")
            if order["state"] in TERMINAL_STATES:
                return order
            if time.monotonic() > deadline:
                raise RomError(f"order {order_id} still {order['state']} after {timeout:.0f} s")
            time.sleep(0.2)


@app.command()
def submit(
    file: Annotated[Path, typer.Argument(help="JSON body of a TMF652 ResourceOrder_Create.")],
    wait: Annotated[bool, typer.Option(help="Follow the order until it ends.")] = True,
    timeout: Annotated[float, typer.Option(help="Seconds to wait.")] = 300.0,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show each device's native diff; submit and change nothing.")
    ] = False,
) -> None:
    """POST a resource order; exit 0 if it completes, 1 if it fails."""
    try:
        body = json.loads(file.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidRequest(f"cannot read order {file}: {exc}") from None
    console = Console()
    if dry_run:
        show_dry_run(body, console)
        return
    with _client() as client:
        order = _check(client.post(ORDER_PATH, json=body))
    console.print(f"order {order['id']} {order['state']}")
    if wait:
        order = wait_for(order["id"], timeout, console)
        show_order(order, console)
        raise typer.Exit(0 if order["state"] == "completed" else 1)


@app.command()
def get(
    order_id: str, as_json: Annotated[bool, typer.Option("--json", help="Print the TMF JSON.")] = False
) -> None:
    """Show one resource order."""
    with _client() as client:
        order = _check(client.get(f"{ORDER_PATH}/{order_id}"))
    if as_json:
        typer.echo(json.dumps(order, indent=2))
    else:
        show_order(order, Console())


@app.command()
def watch(order_id: str, timeout: Annotated[float, typer.Option(help="Seconds to wait.")] = 300.0) -> None:
    """Follow an order until it reaches a final state."""
    console = Console()
    order = wait_for(order_id, timeout, console)
    show_order(order, console)
    raise typer.Exit(0 if order["state"] == "completed" else 1)


def show_dry_run(body: dict[str, Any], console: Console) -> None:
    """Validate and diff locally against the inventory and the devices; nothing is persisted."""
    from pydantic import ValidationError

    from core.tmf652 import ResourceOrderCreate
    from inventory.context import Context
    from rom.executor import dry_run

    try:
        request = ResourceOrderCreate.model_validate(body).model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
    except ValidationError as exc:
        raise InvalidRequest(f"invalid order: {exc.errors()[0]['msg']} at {exc.errors()[0]['loc']}") from None
    with console.status("computing diffs on the devices…"):
        diffs = dry_run(Context.create(get_settings()), request)
    for device, per_protocol in diffs.items():
        for protocol, text in per_protocol.items():
            title = f"{device} ({protocol})"
            console.print(Panel(Syntax(text or "(no change)", "diff", word_wrap=True), title=escape(title)))
