"""gnmic, the independent gNMI client, builds from the Go module proxy and runs.

Skips when Go is absent. Otherwise ``scripts/tools/gnmic.sh`` builds it on first use (minutes cold,
then cached under ``${ROM_TOOLS_DIR:-~/.cache/rom-tools}/bin``). The script exits 5 when the module
versions this machine's proxy serves cannot build gnmic (see the STATUS note in the script and
docs/tools.md); the tests then skip with the compiler's first error as the reason, so the gap stays
visible in every run's summary instead of failing CI on something no commit here can fix. Any other
failure fails the test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("go") is None, reason="Go is not installed: cannot build gnmic"),
    # A cold attempt costs ~3 minutes and several GB of modules only to fail the same way on this
    # machine's proxy (docs/tools.md); retry it on purpose once matching versions are served.
    pytest.mark.skipif(
        os.environ.get("ROM_BUILD_GNMIC") != "1",
        reason="gnmic is not buildable from the module versions served here (docs/tools.md); "
        "ROM_BUILD_GNMIC=1 tries again. Interop runs with OpenConfig's gnmi_cli instead.",
    ),
]

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "tools" / "gnmic.sh"
NOT_BUILDABLE_HERE = 5


@pytest.fixture(scope="module")
def gnmic() -> Path:
    proc = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=1800, check=False)
    if proc.returncode == NOT_BUILDABLE_HERE:
        errors = [
            line for line in proc.stderr.splitlines() if ": " in line and not line.startswith("gnmic.sh")
        ]
        first = (errors or ["?"])[0].split("gnmic@")[-1][-200:]
        pytest.skip(f"gnmic is not buildable from the served module versions: {first}")
    assert proc.returncode == 0, proc.stderr[-4000:]
    path = Path(proc.stdout.strip().splitlines()[-1])
    assert path.is_file()
    return path


def test_gnmic_version(gnmic: Path) -> None:
    proc = subprocess.run([str(gnmic), "version"], capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "version" in proc.stdout
    pinned = next(
        line.split(":-", 1)[1].split("}", 1)[0]
        for line in SCRIPT.read_text().splitlines()
        if line.startswith("GNMIC_VERSION=")
    )
    assert pinned.lstrip("v") in proc.stdout


def test_cached_build_is_fast(gnmic: Path) -> None:
    proc = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0
    assert Path(proc.stdout.strip()) == gnmic
