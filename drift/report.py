"""Drift report renderers: a rich table, JSON and Markdown."""

from __future__ import annotations

import json
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from drift.reconcile import ResourceDrift

EXIT_IN_SYNC, EXIT_DRIFT, EXIT_ERROR = 0, 1, 2


def exit_code(report: Sequence[ResourceDrift]) -> int:
    """0 in sync, 1 drift (incl. unmanaged entries, or check-sync not proven in sync), 2 a device
    could not be read."""
    if any(r.unreachable for r in report):
        return EXIT_ERROR
    return EXIT_IN_SYNC if all(r.in_sync for r in report) else EXIT_DRIFT


def status_of(r: ResourceDrift, kind: str) -> str:
    return f"{kind} (unmanaged)" if r.unmanaged else kind


def _rows(report: Sequence[ResourceDrift]) -> list[dict[str, str | None]]:
    rows: list[dict[str, str | None]] = []
    for r in report:
        base = {"device": r.device, "resource": r.resource_name, "resourceId": r.resource_id}
        if r.in_sync:
            rows.append({**base, "status": "in-sync", "path": None, "intended": None, "actual": None})
        for d in r.differences:
            rows.append(
                {
                    **base,
                    "status": status_of(r, d.kind),
                    "path": d.path,
                    "intended": d.intended,
                    "actual": d.actual,
                }
            )
    return rows


def render_table(report: Sequence[ResourceDrift], console: Console) -> None:
    table = Table(title="Drift report", show_lines=False)
    for column in ("device", "resource", "status", "path", "intended", "actual"):
        table.add_column(column, overflow="fold")
    styles = {
        "in-sync": "green",
        "changed": "yellow",
        "missing": "red",
        "unexpected": "magenta",
        "unknown": "cyan",
    }
    for row in _rows(report):
        status = row["status"] or ""
        cells = [escape(row[k] or "") for k in ("device", "resource", "path", "intended", "actual")]
        style = styles.get(status.split(" ")[0], "red")
        table.add_row(*cells[:2], f"[{style}]{escape(status)}[/]", *cells[2:])
    console.print(table)
    resources = {r.resource_id for r in report if r.resource_id}  # a multi-role one has a row per role
    drifted = len({r.resource_id for r in report if r.resource_id and not r.in_sync})
    unmanaged = sum(1 for r in report if r.unmanaged)
    console.print(
        f"{len(resources)} resource(s) checked, {len(resources) - drifted} in sync, {drifted} drifted, "
        f"{unmanaged} unmanaged entr{'y' if unmanaged == 1 else 'ies'}"
    )


def render_json(report: Sequence[ResourceDrift]) -> str:
    return json.dumps({"inSync": exit_code(report) == EXIT_IN_SYNC, "rows": _rows(report)}, indent=2)


def render_markdown(report: Sequence[ResourceDrift]) -> str:
    lines = ["| device | resource | status | path | intended | actual |", "|---|---|---|---|---|---|"]
    for row in _rows(report):
        cells = [row[k] or "" for k in ("device", "resource", "status", "path", "intended", "actual")]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)
