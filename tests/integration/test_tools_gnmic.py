"""scripts/tools/gnmic.sh: the shared peer build of gnmic, in the background or waited for.

The wrapper's own logic (detached build, waiting on the lock, a failed build reported and retried)
runs against a stand-in build script that the test releases by hand; the real build is checked
through the binary it produces.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.integration.gnmic_peer import SCRIPT, gnmic_binary

pytestmark = pytest.mark.integration


def wrapper(tmp_path: Path, *args: str, build: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "build.sh"
    script.write_text(build)
    env = {**os.environ, "ROM_TOOLS_DIR": str(tmp_path / "tools"), "ROM_GNMIC_BUILD": str(script)}
    env.pop("ROM_GNMIC", None)
    return subprocess.run(
        ["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_built_gnmic_is_the_pinned_version() -> None:
    proc = subprocess.run([str(gnmic_binary()), "version"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert "0.47.0" in proc.stdout


def test_a_second_call_returns_the_cached_binary() -> None:
    first = gnmic_binary()
    again = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 0, again.stderr
    assert Path(again.stdout.strip()) == first


def test_background_build_is_waited_for(tmp_path: Path) -> None:
    release = tmp_path / "release"
    build = f"while [ ! -e {release} ]; do sleep 0.05; done; echo built >&2; echo /opt/gnmic\n"
    assert wrapper(tmp_path, "--background", build=build).returncode == 0  # returns while it builds
    early = wrapper(tmp_path, "--wait", "1", build=build)
    assert early.returncode == 4 and "still runs" in early.stderr
    release.touch()
    done = wrapper(tmp_path, "--wait", "30", build=build)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "/opt/gnmic"
    assert "built" in (tmp_path / "tools" / "gnmic-build" / "build.log").read_text()


def test_a_failed_build_is_reported_and_fails(tmp_path: Path) -> None:
    build = "echo 'compile error: something' >&2; exit 1\n"
    assert wrapper(tmp_path, "--background", build=build).returncode == 0
    waited = wrapper(tmp_path, "--wait", "30", build=build)
    assert waited.returncode == 1
    assert "compile error: something" in waited.stderr


def test_no_build_script_means_not_available_here(tmp_path: Path) -> None:
    env = {**os.environ, "ROM_GNMIC_BUILD": str(tmp_path / "missing.sh")}
    env.pop("ROM_GNMIC", None)
    proc = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 3 and "no gnmic build script" in proc.stderr
