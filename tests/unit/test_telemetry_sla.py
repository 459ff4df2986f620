"""SLA rules over event time (pure), corrective orders, and KPI baseline evaluation."""

from __future__ import annotations

import pytest

from rom.tmf import ResourceOrderCreate
from telemetry.baseline import KpiCheck, checks_from_spec, evaluate
from telemetry.events import Event
from telemetry.sla_rules import Rule, SlaEvaluator, corrective_order

S = 1_000_000_000
RULE = Rule(
    "slice-latency",
    "kpis/slice/latency",
    ">",
    15.0,
    for_s=10.0,
    clear_for_s=5.0,
    resource="slice-1",
    corrective_order={
        "orderItem": [
            {
                "id": "1",
                "action": "modify",
                "resource": {"id": "{resource}"},
                "resourceSpecification": {"id": "5g-slice"},
            }
        ]
    },
)


def _event(t: float, latency: float | str, resource: str | None = "slice-1") -> Event:
    return Event("s", int(t * S), "upf1", resource, {}, {"/UPFFunction/kpis/slice/latency": latency})


def _run(samples: list[tuple[float, float]]) -> list[tuple[float, str]]:
    evaluator = SlaEvaluator([RULE])
    out = []
    for t, value in samples:
        out.extend((t, alarm.state) for alarm in evaluator.observe(_event(t, value)))
    return out


def test_raise_only_after_the_condition_held_for_the_window() -> None:
    assert _run([(0, 20), (5, 20), (9.9, 20)]) == []
    assert _run([(0, 20), (5, 20), (10, 20), (11, 20)]) == [(10, "raised")]
    assert _run([(0, 20), (5, 10), (10, 20), (19, 20), (20, 20)]) == [(20, "raised")]  # a dip resets


def test_clear_after_clear_window_and_same_id() -> None:
    evaluator = SlaEvaluator([RULE])
    alarms = [a for t in range(0, 11) for a in evaluator.observe(_event(t, "21.00"))]
    assert [a.state for a in alarms] == ["raised"]
    raised_id = alarms[0].alarm_id
    later = [a for t in range(11, 20) for a in evaluator.observe(_event(t, 1.0))]
    assert [(a.state, a.alarm_id) for a in later] == [("cleared", raised_id)]
    assert later[0].to_dict()["clearedTime"] is not None and evaluator.active == []


def test_rules_ignore_other_resources_and_non_numbers() -> None:
    evaluator = SlaEvaluator([RULE])
    assert [a for t in range(30) for a in evaluator.observe(_event(t, 99, resource="other"))] == []
    assert [a for t in range(30) for a in evaluator.observe(_event(t, "n/a"))] == []


def test_corrective_order_is_a_valid_tmf652_create() -> None:
    evaluator = SlaEvaluator([RULE])
    alarm = next(a for t in range(11) for a in evaluator.observe(_event(t, 30)))
    body = corrective_order(alarm)
    assert body is not None
    order = ResourceOrderCreate.model_validate(body)
    assert order.orderItem[0].resource is not None and order.orderItem[0].resource.id == "slice-1"
    assert order.externalReference[0].id == alarm.alarm_id


def test_bad_rules_are_refused() -> None:
    with pytest.raises(ValueError):
        Rule("x", "m", "!=", 1.0, 1.0)
    with pytest.raises(ValueError):
        KpiCheck("x", "p")


def test_baseline_evaluation() -> None:
    spec = {
        "kpis": [
            {
                "name": "up",
                "path": "interfaces/interface[name={interface}]/state/oper-status",
                "equals": "UP",
            },
            {"name": "lat", "path": "*/kpis/slice/latency", "device": "upf1", "op": "<=", "threshold": 15},
            {"name": "traffic", "path": "x/in-octets", "increasing": True},
        ]
    }
    up, lat, traffic = checks_from_spec(spec, {"interface": "Ethernet1"}, "pe1")
    assert up.path == "interfaces/interface[name=Ethernet1]/state/oper-status" and up.device == "pe1"
    assert lat.device == "upf1" and lat.threshold == 15.0
    assert evaluate(up, {"/p": ["UP", "UP"]}) == []
    assert evaluate(up, {"/p": ["UP", "DOWN"]}) == ["pe1: up /p is 'DOWN', expected 'UP'"]
    assert evaluate(lat, {"/l": ["1.00", "14.99"]}) == []
    assert evaluate(lat, {"/l": ["1.00", "21.00"]}) == ["upf1: lat /l: max 21 not <= 15"]
    assert evaluate(traffic, {"/t": ["10", "20"]}) == []
    assert evaluate(traffic, {"/t": ["10", "10"]}) == ["pe1: traffic /t did not increase (10 -> 10)"]
    assert evaluate(traffic, {}) == ["pe1: traffic: no data for x/in-octets"]


def test_every_catalog_post_check_parses() -> None:
    from rom.catalog import Catalog

    specs = [spec for spec in Catalog.load() if spec.post_checks]
    assert specs, "no resource specification carries postChecks"
    for spec in specs:
        values = {name: "1" for name in spec.characteristics}
        checks = checks_from_spec(spec.post_checks, values, "dev1")
        assert checks and all("{" not in check.path for check in checks), spec.id
