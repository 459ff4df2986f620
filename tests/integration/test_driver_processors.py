"""Nornir processors on a real transaction against the simulator: metrics and progress bars."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry
from rich.console import Console

from drivers.nornir_plugins import make_nornir
from drivers.pool import SessionPool
from drivers.processors import MetricsProcessor, RichProgressProcessor
from drivers.transaction import run_transaction
from lab.backends import oc_subif_payload, sim_backend
from sims.fleet import FleetThread, SimDeviceSpec

pytestmark = pytest.mark.integration
NAMES = ("pe1", "pe2")


@pytest.fixture
def fleet() -> Iterator[FleetThread]:
    with FleetThread([SimDeviceSpec(n) for n in NAMES]) as f:
        yield f


def count(registry: CollectorRegistry, metric: str, operation: str) -> float:
    labels = {"operation": operation, "platform": "rom-router"}
    return registry.get_sample_value(metric, labels) or 0.0


def test_metrics_count_each_operation_per_host_and_the_failures(fleet: FleetThread) -> None:
    registry = CollectorRegistry()
    nr = make_nornir([sim_backend(fleet, n).target for n in NAMES], workers=2, pool=None)
    payloads = {"pe1": oc_subif_payload(1), "pe2": oc_subif_payload(1, vlan=5000)}  # pe2 refuses
    out = run_transaction(
        nr, payloads, confirm_timeout=60, persist_id="m1", processors=[MetricsProcessor(registry)]
    )
    assert out.phase_failed == "stage"
    assert count(registry, "rom_device_operation_seconds_count", "stage") == 2
    assert count(registry, "rom_device_operation_failures_total", "stage") == 1
    assert count(registry, "rom_device_operation_seconds_count", "rollback") == 2
    assert count(registry, "rom_device_operation_failures_total", "rollback") == 0
    assert count(registry, "rom_device_operation_seconds_count", "commit") == 0


def test_processors_given_to_make_nornir_see_every_phase(fleet: FleetThread) -> None:
    registry = CollectorRegistry()
    progress = RichProgressProcessor(console=Console(file=io.StringIO(), force_terminal=False))
    nr = make_nornir(
        [sim_backend(fleet, n).target for n in NAMES],
        workers=2,
        pool=SessionPool(),
        processors=[MetricsProcessor(registry), progress],
    )
    out = run_transaction(
        nr,
        {n: oc_subif_payload(2) for n in NAMES},
        confirm_timeout=60,
        persist_id="m2",
        post_check=lambda: [],
    )
    assert out.ok, out.errors
    for phase in ("stage", "commit", "confirm"):
        assert count(registry, "rom_device_operation_seconds_count", phase) == 2
    assert progress.bars() == {p: (2, 2, 0) for p in ("stage", "commit", "confirm")}
    assert not progress.progress.live.is_started


def test_progress_counts_failed_hosts(fleet: FleetThread) -> None:
    progress = RichProgressProcessor(console=Console(file=io.StringIO()))
    nr = make_nornir([sim_backend(fleet, n).target for n in NAMES], workers=2, pool=None)
    payloads = {"pe1": oc_subif_payload(3), "pe2": oc_subif_payload(3, vlan=5000)}
    run_transaction(nr, payloads, confirm_timeout=60, persist_id="m3", processors=[progress])
    assert progress.bars()["stage"] == (2, 2, 1)
    assert progress.bars()["rollback"] == (2, 2, 0)
