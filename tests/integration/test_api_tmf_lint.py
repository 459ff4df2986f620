"""tmf-lint (a TMF conformance checker nobody here wrote) against a real `rom serve`: every rule
it can run on TMF639 passes, the resourceStatus lifecycle's included (docs/tmf-conformance.md)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.fuzz_target import served_rom

pytestmark = pytest.mark.integration
# TMF639-REF-001 needs TMF638 (service inventory), which ROM does not serve: skipped.


def tmf_lint() -> str | None:
    beside = Path(sys.executable).parent / "tmf-lint"
    return str(beside) if beside.exists() else shutil.which("tmf-lint")


def test_tmf_lint_639_passes_every_rule_it_runs(tmp_path: Path) -> None:
    lint = tmf_lint()
    if lint is None:
        pytest.skip("tmf-lint is not installed (pip install tmf-lint)")
    with served_rom(tmp_path) as served:
        run = subprocess.run(
            [lint, "check", "--url", served.base_url, "--apis", "639", "--format", "json"],
            capture_output=True,
            text=True,
            timeout=300,
        )
    results: list[dict[str, Any]] = json.loads(run.stdout)["results"]
    failed = [r for r in results if r["severity"] == "fail"]
    passed = {r["rule_id"] for r in results if r["severity"] == "pass"}
    assert failed == [], json.dumps(failed, indent=1)
    assert {"TMF639-LC-001", "TMF639-LC-002", "TMF639-LC-003"} <= passed, json.dumps(results, indent=1)
    assert len(passed) >= 12, json.dumps(results, indent=1)
    assert run.returncode == 0, run.stderr
