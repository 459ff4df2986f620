"""How every `rom` command's --help reads: flags without a type label, exit codes at the end."""

from __future__ import annotations

import inspect

import typer
from typer import _click
from typer.core import TyperCommand, TyperGroup, TyperOption
from typer.models import DefaultPlaceholder

from cli import exit_codes


def _untyped_flags(command: _click.Command, ctx: _click.Context) -> None:
    """Typer labels every option with its type, so a flag reads `--dry-run <bool>` as if it took a
    value; an empty metavar leaves the type column blank for flags (and for --help) only."""
    for param in command.get_params(ctx):
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""


class Command(TyperCommand):
    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        _untyped_flags(self, ctx)
        super().format_help(ctx, formatter)


class Group(TyperGroup):
    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        _untyped_flags(self, ctx)
        super().format_help(ctx, formatter)


def _typers_own(cls: object, base: type) -> bool:
    """Whether `cls` is typer's default (unset, or its own class), not one a command chose."""
    return cls is None or cls is base or isinstance(cls, DefaultPlaceholder)


def _unwrapped(doc: str) -> str:
    """A docstring with its source line breaks joined (typer's rich mode would keep them, leaving
    ragged lines); blank lines still separate paragraphs."""
    return "\n\n".join(" ".join(p.split()) for p in inspect.cleandoc(doc).split("\n\n"))


def apply(app: typer.Typer, prefix: str = "") -> None:
    """Give `app`, its commands and its groups (recursively) this help: call once, after wiring."""
    if not prefix and _typers_own(app.info.cls, TyperGroup):
        app.info.cls = Group
    if not prefix and isinstance(app.info.epilog, DefaultPlaceholder):
        app.info.epilog = exit_codes.ROOT
    for command in app.registered_commands:
        name = command.name or (
            command.callback.__name__.strip("_").replace("_", "-") if command.callback else ""
        )
        if _typers_own(command.cls, TyperCommand):
            command.cls = Command
        if command.help is None and command.callback is not None and command.callback.__doc__:
            command.help = _unwrapped(command.callback.__doc__)
        if command.epilog is None:
            command.epilog = exit_codes.epilog(f"{prefix}{name}")
    for group in app.registered_groups:
        if _typers_own(group.cls, TyperGroup):
            group.cls = Group
        if group.epilog is None or isinstance(group.epilog, DefaultPlaceholder):
            group.epilog = exit_codes.GROUP
        if group.typer_instance is not None:
            apply(group.typer_instance, f"{prefix}{group.name} ")
