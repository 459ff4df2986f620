"""Every `rom` command and group states its exit codes in its --help, and no option carries typer's
`<bool>` type label (a flag takes no value)."""

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
        found += [(*prefix, sub.name), *commands(sub.typer_instance, (*prefix, sub.name))]
    return found


def helps(width: int) -> dict[tuple[str, ...], str]:
    runner = CliRunner()
    found = {}
    for name in [(), *commands(app)]:
        args = [n.strip("_").replace("_", "-") for n in name]
        result = runner.invoke(app, [*args, "--help"], env={"COLUMNS": str(width)})
        assert result.exit_code == 0, (args, result.output)
        found[tuple(args)] = result.output
    return found


def test_every_command_documents_its_exit_codes() -> None:
    found = helps(200)
    assert ("drift", "report") in found and ("order", "submit") in found and len(found) > 30
    for args, text in found.items():
        assert "Exit codes: " in text, args
    assert "1 drift or unmanaged entries" in found[("drift", "report")]
    assert "each command's --help gives its own" in found[("device", "schema")]
    assert "(confirmed commit, then confirm;" in found[("device", "edit-config")]  # source breaks joined


def test_no_option_is_labelled_bool_and_valued_options_keep_their_type() -> None:
    found = helps(80)
    for args, text in found.items():
        assert "<bool>" not in text, (args, text)
        assert max(len(line) for line in text.splitlines()) <= 80, (args, text)
    submit = found[("order", "submit")]
    assert "--dry-run" in submit and "<float>" in submit  # only flags lose the label
