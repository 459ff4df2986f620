"""The chaos soak (bench/soak.py), short: two `rom serve` on PostgreSQL, the L3VPN lab and Kafka
under a steady order stream, with a seeded kill -9 / broker stop / PostgreSQL restart schedule for
`ROM_SOAK_SECONDS` (default 30). Every invariant holds, and a killed process's orders pass to a
live one before its 30 s lease would run out. The long run and its figures: docs/reliability.md."""

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
    failed = held(report)
    if failed == ["an event is in Kafka twice"]:  # known: docs/reliability.md, "Chaos soak"
        pytest.xfail("the outbox relay is at-least-once across a kill -9: events duplicated in Kafka")
    assert failed == [], report
    assert report["orders_accepted"] > 0
    takeovers = [f["takeover_s"] for f in report["faults"] if f.get("takeover_s") is not None]
    assert all(t < 30 for t in takeovers), takeovers  # before the default lease would have run out
    print({k: v for k, v in report.items() if k != "samples"})
