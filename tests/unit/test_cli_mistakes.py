"""A new user's mistakes, each one line on stderr with the valid choices (or where they are), exit 2:
the `rom` process as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lab.support import REPO


def rom(var: Path, *args: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ROM_")}
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env={**base, "ROM_VAR_DIR": str(var), "COLUMNS": "80"},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("ordr",), "error: No such command 'ordr'. Did you mean 'order'? (see `rom --help`)"),
        (("order", "submit", "--dryrun", "x.json"), "No such option: --dryrun (Possible options: --dry-run)"),
        (("drift", "report", "--format", "xml"), "'xml' is not one of 'table', 'json', 'markdown'"),
        (("order", "get"), "error: Missing argument 'order_id' (see `rom order get --help`)"),
        (("catalog", "show", "slice-rna"), "(did you mean 'slice-ran'?); known: l3vpn-endpoint, "),
        (("order", "submit", "no-such.json"), "error: cannot read order no-such.json: "),
        (("device", "get-config", "pe9"), "device 'pe9' is not in the inventory; known: none (`rom lab up`"),
        (("drift", "report", "--device", "pe9"), "device 'pe9' is not in the inventory; known: none"),
        (("lab", "status", "no-such.clab.yml"), "error: cannot read topology no-such.clab.yml: "),
    ],
)
def test_a_mistake_is_one_line_with_the_choices(tmp_path: Path, args: tuple[str, ...], expected: str) -> None:
    done = rom(tmp_path, *args)
    assert done.returncode == 2, (done.stdout, done.stderr)
    [line] = [line for line in done.stderr.splitlines() if "DeprecationWarning" not in line]
    assert expected in line, line
