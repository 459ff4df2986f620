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

from cli.tables import WideOption, short_id, short_time
from core.errors import InvalidRequest, RomError
from core.order_states import TERMINAL_STATES
from core.settings import get_settings
from rom.cancel import CANCEL_PATH
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


def _check_list(response: httpx.Response) -> list[dict[str, Any]]:
    if response.is_error:
        _check(response)
    body: list[dict[str, Any]] = response.json()
    return body


def show_order(order: dict[str, Any], console: Console, wide: bool = False) -> None:
    console.print(f"resourceOrder {order['id']}: [bold]{escape(order['state'])}[/]", highlight=False)
    table = Table()
    for col in ("item", "action", "specification", "state", "resource"):
        table.add_column(col)
    for item in order.get("orderItem", []):
        spec = (item.get("resourceSpecification") or {}).get("id", "")
        resource = item.get("resource") or {}
        cells = (item["id"], item["action"], spec, item.get("state", ""), short_id(resource.get("id"), wide))
        table.add_row(*(escape(str(c)) for c in cells))
    console.print(table)
    for note in order.get("note", []):
        if note.get("author") == "ROM":
            console.print(f"  [red]reason:[/] {escape(note['text'])}", highlight=False)


def full_id(client: httpx.Client, order_id: str) -> str:
    """The order id that `order_id` (a full id, or the short prefix `rom order list` shows) names."""
    if len(order_id) >= 32:
        return order_id
    found = _check_list(client.get(ORDER_PATH, params={"fields": "id", "limit": 1000, "sort": "-orderDate"}))
    matches = [o["id"] for o in found if str(o["id"]).startswith(order_id)]
    if len(matches) == 1:
        return str(matches[0])
    what = "no order" if not matches else f"{len(matches)} orders"
    raise InvalidRequest(f"{what} among the last 1000 has an id starting with {order_id!r}; give the full id")


class Phases:
    """The order's transaction phases from its step log (rom.progress), when `rom serve` shares
    this CLI's database (ROM_VAR_DIR / ROM_DATABASE_URL); nothing otherwise."""

    def __init__(self, order_id: str) -> None:
        from inventory.context import Context

        self.order_id, self.seen = order_id, 0
        self.ctx = Context.create(get_settings())

    def new_lines(self) -> list[str]:
        from sqlalchemy.exc import SQLAlchemyError

        from rom import order_store

        try:
            with self.ctx.sessions() as session:
                steps = order_store.steps(session, self.order_id)
        except SQLAlchemyError:  # another database than the server's, or none yet
            return []
        fresh, self.seen = steps[self.seen :], len(steps)
        return [
            _phase_line(s.step, s.detail or {}) for s in fresh if s.step in ("started", "phase", "committed")
        ]


PHASE_NAMES = {"_read": "read-back"}  # Nornir task names as people say them
STEP_LINES = {
    "started": "  started",
    "committed": "  post-checks: [green]ok[/] (read-back, KPI baselines, reachability)",
}


def _phase_line(step: str, detail: dict[str, Any]) -> str:
    if step != "phase":
        return STEP_LINES[step]
    failed = detail.get("failed") or []
    outcome = f"[red]failed on {escape(', '.join(failed))}[/]" if failed else "[green]ok[/]"
    devices = escape(", ".join(detail.get("devices") or []))
    phase = str(detail.get("phase"))
    return f"  {escape(PHASE_NAMES.get(phase, phase))}: {devices} {outcome}"


def wait_for(order_id: str, timeout: float, console: Console) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    phases, state = Phases(order_id), ""
    with _client() as client, console.status(f"order {order_id}") as status:
        while True:
            order = _check(client.get(f"{ORDER_PATH}/{order_id}"))
            lines = phases.new_lines()
            ended = order["state"] in TERMINAL_STATES
            for line in lines if ended else []:  # an order's last phases come before its end
                console.print(line, highlight=False)
            if order["state"] != state and not ended:  # the end: show_order says it
                state = order["state"]
                console.print(f"order {order_id}: {escape(state)}", highlight=False)
            for line in [] if ended else lines:
                console.print(line, highlight=False)
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
    if not wait:
        console.print(f"order {order['id']} {order['state']}")
    else:
        order = wait_for(order["id"], timeout, console)
        show_order(order, console)
        raise typer.Exit(0 if order["state"] == "completed" else 1)


@app.command()
def get(
    order_id: str,
    as_json: Annotated[bool, typer.Option("--json", help="Print the TMF JSON.")] = False,
    wide: WideOption = False,
) -> None:
    """Show one resource order."""
    with _client() as client:
        order = _check(client.get(f"{ORDER_PATH}/{full_id(client, order_id)}"))
    if as_json:
        typer.echo(json.dumps(order, indent=2))
    else:
        show_order(order, Console(), wide)


@app.command()
def watch(order_id: str, timeout: Annotated[float, typer.Option(help="Seconds to wait.")] = 300.0) -> None:
    """Follow an order until it reaches a final state."""
    console = Console()
    with _client() as client:
        order_id = full_id(client, order_id)
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


@app.command("list")
def list_(
    state: Annotated[str | None, typer.Option(help="Only orders in this state, e.g. inProgress.")] = None,
    limit: Annotated[int, typer.Option(help="At most N orders, newest first.")] = 20,
    wide: WideOption = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the TMF JSON.")] = False,
) -> None:
    """List resource orders, newest first."""
    params: dict[str, Any] = {"limit": limit, "sort": "-orderDate"}
    if state:
        params["state"] = state
    with _client() as client:
        response = client.get(ORDER_PATH, params=params)
        orders = _check_list(response)
    if as_json:
        typer.echo(json.dumps(orders, indent=2))
        return
    total = response.headers.get("X-Total-Count", str(len(orders)))
    table = Table(title=f"{len(orders)} of {total} resource order(s)")
    table.add_column("id", no_wrap=True)
    table.add_column("state", no_wrap=True)
    table.add_column("date (UTC)", no_wrap=not wide)
    table.add_column("items", justify="right")
    table.add_column("name", overflow="ellipsis", no_wrap=not wide)
    for order in orders:
        date = short_time(order.get("orderDate"), wide)
        cells = (
            short_id(order["id"], wide),
            order["state"],
            date,
            len(order.get("orderItem", [])),
            order.get("name", ""),
        )
        table.add_row(*(escape(str(c)) for c in cells))
    Console().print(table)


@app.command()
def cancel(order_id: str) -> None:
    """Ask ROM to cancel an order (TMF652 cancelResourceOrder); exit 1 if it had already ended.

    A waiting order is cancelled at once; a running one at its next safe point (its devices are
    rolled back)."""
    with _client() as client:
        order_id = full_id(client, order_id)
        task = _check(client.post(CANCEL_PATH, json={"resourceOrder": {"id": order_id}}))
    state = task.get("state")
    message = task.get("errorMessage") or {
        "done": f"order {order_id} cancelled",
        "inProgress": f"order {order_id}: cancellation requested (`rom order watch {order_id}`)",
    }.get(str(state), f"cancellation {state}")
    typer.echo(message)
    raise typer.Exit(1 if state == "terminatedWithError" else 0)
