"""What every `rom` table shares: short ids that fit 80 columns, and the --wide option for full ones."""

from __future__ import annotations

from typing import Annotated

import typer

SHORT = 8  # characters of a UUID shown by default: enough to tell rows apart by eye

WideOption = Annotated[
    bool, typer.Option("--wide", help="Full ids and every column, for a wide terminal or a pipe.")
]


def short_id(value: str | None, wide: bool = False) -> str:
    """The first characters of a UUID, or all of it with --wide ("" for none)."""
    text = value or ""
    return text if wide or len(text) <= SHORT else text[:SHORT]


def short_time(iso: str | None, wide: bool = False) -> str:
    """`2026-12-07T02:57:02.123Z` as `12-07 02:57:02` (UTC), or unchanged with --wide."""
    text = iso or ""
    return text if wide or len(text) < 19 else text[5:19].replace("T", " ")
