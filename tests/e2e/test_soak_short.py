"""The chaos soak (bench/soak.py), short: two `rom serve` on PostgreSQL, the 5G lab and Kafka under
a steady stream of mixed orders, with a seeded schedule of kill -9, broker stops, PostgreSQL
restarts, device restarts and dropped device sessions for `ROM_SOAK_SECONDS` (default 30). Every
invariant holds (bench.soak.held), among them every event in Kafka exactly once and a killed
process's orders taken over within 5 s. The long run and its figures: docs/reliability.md."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bench.soak import held, soak

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("java") is None, reason="Java (17+) is not installed: no Kafka broker"),
]


def test_short_soak_holds_every_invariant(tmp_path: Path) -> None:
    seconds = float(os.environ.get("ROM_SOAK_SECONDS", "30"))
    report = soak(seconds, seed=16, rate=2.0, work=tmp_path)
    assert held(report) == [], report
    assert report["orders_accepted"] > 0
    print({k: v for k, v in report.items() if k != "samples"})
