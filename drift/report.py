"""Drift report renderers: a rich table, JSON and Markdown."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Unreachable:
    """A device that could not be read: why (one line), and the resource parts not checked there."""

    device: str
    reason: str
    resources: tuple[str, ...]


def reason_line(device: str, error: str | None) -> str:
    """An error as one line, without the device name the line already starts with."""
    text = " ".join((error or "unreachable").split())
    return text[len(device) + 2 :] if text.startswith(f"{device}: ") else text


def unreachable(report: Sequence[ResourceDrift]) -> list[Unreachable]:
    """One entry per unreachable device (its first error), with the resources it holds."""
    found: dict[str, tuple[str, list[str]]] = {}
    for r in report:
        for d in r.differences:
            if d.kind == "unreachable":
                _, names = found.setdefault(r.device, (reason_line(r.device, d.actual), []))
                if r.resource_id and r.resource_name not in names:
                    names.append(r.resource_name)
    return [Unreachable(device, reason, tuple(names)) for device, (reason, names) in sorted(found.items())]


def summary(report: Sequence[ResourceDrift]) -> dict[str, int]:
    """Counts by outcome; a resource with a part on an unreachable device counts as unreachable,
    not drifted (nothing is known about it)."""
    resources = {r.resource_id for r in report if r.resource_id}  # a multi-role one has a row per role
    blind = {r.resource_id for r in report if r.resource_id and r.unreachable}
    drifted = {r.resource_id for r in report if r.resource_id and not r.in_sync} - blind
    return {
        "resources": len(resources),
        "inSync": len(resources - drifted - blind),
        "drifted": len(drifted),
        "unreachable": len(blind),
        "unreachableDevices": len(unreachable(report)),
        "unmanaged": sum(1 for r in report if r.unmanaged),
    }


def summary_line(report: Sequence[ResourceDrift]) -> str:
    n = summary(report)
    entries = "entry" if n["unmanaged"] == 1 else "entries"
    return (
        f"{n['resources']} resource(s): {n['inSync']} in sync, {n['drifted']} drifted, "
        f"{n['unreachable']} not checked on {n['unreachableDevices']} unreachable device(s); "
        f"{n['unmanaged']} unmanaged {entries}"
    )


def _rows(report: Sequence[ResourceDrift], reachable_only: bool = False) -> list[dict[str, str | None]]:
    rows: list[dict[str, str | None]] = []
    for r in report:
        base = {"device": r.device, "resource": r.resource_name, "resourceId": r.resource_id}
        if r.in_sync:
            rows.append({**base, "status": "in-sync", "path": None, "intended": None, "actual": None})
        for d in r.differences:
            if reachable_only and d.kind == "unreachable":
                continue
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


STYLES = {
    "in-sync": "green",
    "changed": "yellow",
    "missing": "red",
    "unexpected": "magenta",
    "unknown": "cyan",
}
TABLE_WIDTH = 100  # narrower than this, a path would fold inside its cell: one block per row instead


def render_table(report: Sequence[ResourceDrift], console: Console) -> None:
    """The compared rows as a table (as blocks on a narrow terminal), then one line per unreachable
    device, then the counts."""
    rows = _rows(report, reachable_only=True)
    if rows and console.width < TABLE_WIDTH:
        _render_blocks(rows, console)
    elif rows:
        table = Table(title="Drift report", show_lines=False)
        table.add_column("device", no_wrap=True)
        table.add_column("resource", overflow="ellipsis")
        table.add_column("status", no_wrap=True)
        table.add_column("path", overflow="fold")
        table.add_column("intended", overflow="ellipsis")
        table.add_column("actual", overflow="ellipsis")
        for row in rows:
            cells = [escape(row[k] or "") for k in ("device", "resource", "path", "intended", "actual")]
            table.add_row(*cells[:2], _status(row), *cells[2:])
        console.print(table)
    for u in unreachable(report):
        console.print(
            f"[red]unreachable[/] {escape(u.device)}: {escape(u.reason)} "
            f"({len(u.resources)} resource(s) not checked)",
            highlight=False,
            soft_wrap=True,
        )
    console.print(summary_line(report), highlight=False)


def _status(row: dict[str, str | None]) -> str:
    status = row["status"] or ""
    return f"[{STYLES.get(status.split(' ')[0], 'red')}]{escape(status)}[/]"


def _render_blocks(rows: list[dict[str, str | None]], console: Console) -> None:
    """One block per row: `device resource: status`, then the path (broken before a `/` where it
    must), intended and actual, each on its own indented lines."""
    console.print("[bold]Drift report[/] (device resource: status; path, intended, actual)", highlight=False)
    for row in rows:
        head = f"{escape(row['device'] or '')} {escape(row['resource'] or '(unmanaged)')}: {_status(row)}"
        console.print(head, highlight=False)
        if row["path"]:
            for n, line in enumerate(_break_path(row["path"], console.width - 7)):
                console.print(f"  {'path' if n == 0 else '    '} {escape(line)}", highlight=False)
        for key in ("intended", "actual"):
            if row[key] is not None:
                console.print(f"  {key} {escape(row[key] or '')}", highlight=False)


def _break_path(path: str, width: int) -> list[str]:
    """`path` in lines of at most `width` characters, broken only before a `/`."""
    lines: list[str] = []
    for segment in ["/" + part for part in path.lstrip("/").split("/")] if path.startswith("/") else [path]:
        if lines and len(lines[-1]) + len(segment) <= width:
            lines[-1] += segment
        else:
            lines.append(segment)
    return lines


def render_json(report: Sequence[ResourceDrift]) -> str:
    doc = {
        "inSync": exit_code(report) == EXIT_IN_SYNC,
        "summary": summary(report),
        "unreachable": [
            {"device": u.device, "reason": u.reason, "resources": list(u.resources)}
            for u in unreachable(report)
        ],
        "rows": _rows(report),
    }
    return json.dumps(doc, indent=2)


def render_markdown(report: Sequence[ResourceDrift]) -> str:
    rows = _rows(report, reachable_only=True)
    lines = (
        ["| device | resource | status | path | intended | actual |", "|---|---|---|---|---|---|"]
        if rows
        else []
    )
    for row in rows:
        cells = [row[k] or "" for k in ("device", "resource", "status", "path", "intended", "actual")]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    gone = unreachable(report)
    if gone:
        lines += ["", "Unreachable devices:", ""] if lines else ["Unreachable devices:", ""]
        lines += [
            f"- **{_cell(u.device)}**: {_cell(u.reason)} ({len(u.resources)} resource(s) not checked)"
            for u in gone
        ]
    lines += ["", summary_line(report)] if lines else [summary_line(report)]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
