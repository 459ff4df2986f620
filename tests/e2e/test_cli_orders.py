"""`rom order submit|list|get|cancel` against a running `rom serve` and lab: per-phase progress,
short ids that `get` and `cancel` accept, a cancel's exit codes; tables within 80 columns."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from lab.support import REPO
from tests.e2e.conftest import Lab
from tests.e2e.test_order_to_device import order_body

LATER = "2099-01-01T00:00:00Z"


def rom80(lab: Lab, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env={**lab.env, "COLUMNS": "80"},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def fits(text: str) -> bool:
    return max(len(line) for line in text.splitlines()) <= 80


def test_submit_shows_each_phase_per_device(lab: Lab, tmp_path: Path) -> None:
    body = tmp_path / "order.json"
    body.write_text(json.dumps(order_body("CLI-PHASES", 610)))
    done = rom80(lab, "order", "submit", str(body))
    assert done.returncode == 0, done.stderr
    lines = [line.strip() for line in done.stdout.splitlines()]
    phases = [line.split(":")[0] for line in lines if line.endswith(" ok") or line.startswith("post-checks")]
    assert phases == ["stage", "commit", "read-back", "post-checks", "confirm"], done.stdout
    assert "stage: pe1, pe2 ok" in lines
    assert fits(done.stdout), done.stdout


def test_list_get_and_cancel_by_short_id(lab: Lab, tmp_path: Path) -> None:
    body = tmp_path / "waiting.json"
    body.write_text(json.dumps({**order_body("CLI-WAIT", 620), "requestedStartDate": LATER}))
    submitted = rom80(lab, "order", "submit", "--no-wait", str(body))
    assert submitted.returncode == 0, submitted.stderr
    order_id = submitted.stdout.split()[1]
    listed = rom80(lab, "order", "list", "--state", "acknowledged")
    assert listed.returncode == 0 and f"│ {order_id[:8]} │" in listed.stdout and fits(listed.stdout)
    got = rom80(lab, "order", "get", order_id[:8], "--json")
    assert got.returncode == 0 and json.loads(got.stdout)["id"] == order_id
    cancelled = rom80(lab, "order", "cancel", order_id[:8])
    assert cancelled.returncode == 0 and cancelled.stdout.strip() == f"order {order_id} cancelled"
    again = rom80(lab, "order", "cancel", order_id)
    assert again.returncode == 1 and "already cancelled" in again.stdout
    unknown = rom80(lab, "order", "get", "zzzzzzzz")
    assert (
        unknown.returncode == 2 and "no order among the last 1000 has an id starting with" in unknown.stderr
    )
