"""Every `rom` command states its exit codes in its --help."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from cli import app


def commands(group: typer.Typer, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [
        (*prefix, c.name or (c.callback.__name__ if c.callback else "")) for c in group.registered_commands
    ]
    for sub in group.registered_groups:
        assert sub.typer_instance is not None and sub.name
        found += commands(sub.typer_instance, (*prefix, sub.name))
    return found


def test_every_command_documents_its_exit_codes() -> None:
    runner = CliRunner()
    names = commands(app)
    assert ("drift", "report") in names and ("order", "submit") in names and len(names) > 20
    for name in names:
        args = [n.strip("_").replace("_", "-") for n in name]
        result = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (args, result.output)
        assert "Exit codes: 0 " in result.output, args
    report = runner.invoke(app, ["drift", "report", "--help"], env={"COLUMNS": "200"}).output
    assert "1 drift or unmanaged entries" in report
