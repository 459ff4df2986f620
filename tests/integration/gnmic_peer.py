"""The gnmic binary for the interop tests and benchmarks, from ``scripts/tools/gnmic.sh``.

``make tools`` starts the build detached (minutes cold); this waits for it. Skips only when the
machine has no Go toolchain or no shared peer build script (the script's exit 3); a failed or
overdue build fails the test that asked.
"""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

import pytest

from lab.support import REPO

SCRIPT = REPO / "scripts" / "tools" / "gnmic.sh"
WAIT_S = 1200  # a cold build takes ~7 min on 2 cores; the suite runs beside it
NOT_HERE = 3


@functools.cache
def _build() -> tuple[int, str, str]:
    proc = subprocess.run(
        ["bash", str(SCRIPT), "--wait", str(WAIT_S)],
        capture_output=True,
        text=True,
        timeout=WAIT_S + 1200,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


def gnmic_binary() -> Path:
    code, out, err = _build()
    if code == NOT_HERE:
        pytest.skip(err.strip().splitlines()[-1] if err.strip() else "gnmic cannot be built here")
    assert code == 0, f"scripts/tools/gnmic.sh failed ({code}):\n{err[-4000:]}"
    path = Path(out.strip().splitlines()[-1])
    assert path.is_file(), f"gnmic.sh printed {path}, which is not a file"
    return path
