"""Fault state: checks, the RPC hook, connection refusal and KPI conditions."""

from __future__ import annotations

import pytest

from sims.errors import RpcError
from sims.faults import Fault, FaultState, check_fault


def test_fail_commit_fails_the_next_commits_only() -> None:
    faults = FaultState(clock=lambda: 0.0)
    fault = faults.add(Fault("fail-commit", device="r1", count=2, message="disk full"))
    assert fault.id == "f1"
    assert faults.before_rpc("r1", "edit-config") == 0.0
    assert faults.before_rpc("r2", "commit") == 0.0
    for _ in range(2):
        with pytest.raises(RpcError) as caught:
            faults.before_rpc("r1", "commit")
        assert caught.value.tag == "operation-failed" and caught.value.message == "disk full"
    assert faults.before_rpc("r1", "commit") == 0.0
    assert faults.find() == []


def test_fail_validate_and_gnmi_set() -> None:
    faults = FaultState()
    faults.add(Fault("fail-validate", device="r1"))
    faults.add(Fault("fail-commit", device="r1"))
    with pytest.raises(RpcError):
        faults.before_rpc("r1", "validate")
    with pytest.raises(RpcError):
        faults.before_rpc("r1", "Set")
    faults.before_rpc("r1", "validate")


def test_latency_adds_up_and_clears() -> None:
    faults = FaultState()
    one = faults.add(Fault("latency", device="r1", latency_ms=150))
    faults.add(Fault("latency", device="r1", latency_ms=50))
    assert faults.before_rpc("r1", "get") == pytest.approx(0.2)
    faults.remove(one.id)
    assert faults.before_rpc("r1", "get") == pytest.approx(0.05)


def test_refuse_connections() -> None:
    faults = FaultState()
    fault = faults.add(Fault("refuse-connections", device="r1"))
    assert not faults.accepts_connection("r1") and faults.accepts_connection("r2")
    faults.remove(fault.id)
    assert faults.accepts_connection("r1")


def test_conditions_from_load_and_degradation() -> None:
    faults = FaultState()
    faults.add(Fault("load", device="g1", load=2.0))
    faults.add(Fault("load", device="g1", slice="1-00000a", load=1.5))
    faults.add(Fault("degrade-kpi", device="g1", slice="1-00000A", latency_ms=20, throughput_factor=0.5))
    conditions = faults.conditions("g1")
    assert conditions.load_for("1-00000A") == pytest.approx(3.0)
    assert conditions.load_for("2-000002") == pytest.approx(2.0)
    assert conditions.latency_for("1-00000A") == 20.0 and conditions.latency_for("2-000002") == 0.0
    assert conditions.factor_for("1-00000A") == 0.5
    assert faults.conditions("g2").load_for("1-00000A") == 1.0


@pytest.mark.parametrize(
    ("fault", "problem"),
    [
        (Fault("melt", device="r1"), "unknown fault kind"),
        (Fault("latency"), "needs 'device'"),
        (Fault("link-down"), "needs 'link'"),
        (Fault("config-change", device="r1"), "needs 'config'"),
        (Fault("latency", device="r1", latency_ms=-1), "latency_ms"),
        (Fault("degrade-kpi", device="r1", throughput_factor=2), "throughput_factor"),
        (Fault("load", device="r1", slice="256-000001"), "slice"),
        (Fault("load", device="r1", slice="1-XYZ"), "slice"),
        (Fault("fail-commit", device="r1", count=0), "count"),
    ],
)
def test_bad_faults_are_refused(fault: Fault, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        check_fault(fault)
