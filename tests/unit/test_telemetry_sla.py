"""SLA rules over event time (pure), corrective orders, and KPI baseline evaluation."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.tmf652 import ResourceOrderCreate
from telemetry.baseline import KpiCheck, checks_from_spec, evaluate
from telemetry.events import Event
from telemetry.sla import http_submitter
from telemetry.sla_rules import Rule, SlaEvaluator, corrective_order, rules_from_yaml

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


def _slice_event(t: float, latency: float, sd: str) -> Event:
    tags = {"source": "gnb1", "slice_sst": "2", "slice_sd": sd}
    return Event(
        "s", int(t * S), "gnb1", "ran-1", tags, {"/GNBDUFunction/NRCellDU/kpis/slice/latency": latency}
    )


def test_each_slice_of_a_cell_is_tracked_apart_and_tags_select_one() -> None:
    every = Rule("any", "kpis/slice/latency", ">", 3.0, for_s=2.0, resource="ran-1")
    only = replace(every, name="only", tags={"slice_sd": "00A0B1"})
    evaluator = SlaEvaluator([every, only])
    alarms = []
    for t in range(4):  # slice A breaches, slice B does not: B's samples must not reset A's window
        alarms += evaluator.observe(_slice_event(t, 5.0, "00A0B1"))
        alarms += evaluator.observe(_slice_event(t + 0.5, 2.0, "00B0C1"))
    assert [(a.rule.name, a.keys["slice_sd"]) for a in alarms] == [("any", "00A0B1"), ("only", "00A0B1")]
    for t in range(4, 8):
        alarms += evaluator.observe(_slice_event(t, 2.0, "00A0B1"))
        alarms += evaluator.observe(_slice_event(t + 0.5, 9.0, "00B0C1"))
    assert [(a.rule.name, a.state, a.keys["slice_sd"]) for a in alarms[2:]] == [
        ("any", "cleared", "00A0B1"),
        ("only", "cleared", "00A0B1"),
        ("any", "raised", "00B0C1"),
    ]
    assert alarms[0].to_dict()["keys"] == {"slice_sst": "2", "slice_sd": "00A0B1"}


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


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('- {name: x, metric: m, op: ">", threshold: 1, for: 1, tagz: {a: b}}', "rule 1: .*'tagz'"),
        ('- {name: x, metric: m, op: ">", threshold: abc, for: 1}', "rule x: threshold must be a number"),
        ('- {name: x, metric: m, op: ">", threshold: 1, for: -1}', "rule x: for must be a number >= 0"),
        (
            '- {name: x, metric: m, op: ">", threshold: 1, for: 1, tags: [a]}',
            "rule x: tags must be a mapping",
        ),
        ("- {name: x}", "rule 1: missing 4 required"),
        ("a: [", "not valid YAML"),
        ("just text", "a YAML list"),
        ("- 3", "rule 1 is not a mapping"),
    ],
)
def test_bad_rule_files_are_refused_with_the_reason(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        rules_from_yaml(text)


def test_rule_file() -> None:
    [rule] = rules_from_yaml(
        '- {name: x, metric: m, op: ">", threshold: 3, for: 1, clear_for: 2, tags: {k: 2}}'
    )
    assert (rule.threshold, rule.for_s, rule.clear_for_s, rule.tags) == (3.0, 1.0, 2.0, {"k": 2})
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
    from intent.catalog import Catalog

    specs = [spec for spec in Catalog.load() if spec.post_checks]
    assert specs, "no resource specification carries postChecks"
    for spec in specs:
        values = {name: "1" for name in spec.characteristics}
        checks = checks_from_spec(spec.post_checks, values, "dev1")
        assert checks and all("{" not in check.path for check in checks), spec.id


def test_no_second_corrective_order_while_the_first_runs() -> None:
    """The monitor asks ROM's API for the previous order's state before submitting another."""
    import asyncio

    import httpx

    from telemetry.sla import SlaMonitor

    states: dict[str, str] = {}
    posts: list[str] = []

    def rom_api(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            posts.append(request.headers["X-Correlation-ID"])
            states[f"co-{len(posts)}"] = "acknowledged"
            return httpx.Response(201, json={"id": f"co-{len(posts)}", "state": "acknowledged"})
        order_id = request.url.path.rsplit("/", 1)[-1]
        if order_id not in states:
            return httpx.Response(404, json={"code": "404"})
        return httpx.Response(200, json={"id": order_id, "state": states[order_id]})

    async def scenario() -> list[dict[str, object] | None]:
        monitor = SlaMonitor("127.0.0.1:1", [RULE], api_url="http://rom", set_inventory_state=False)
        await monitor._http.aclose()
        monitor._http = httpx.AsyncClient(transport=httpx.MockTransport(rom_api))
        monitor.submit = http_submitter("http://rom", monitor._http)
        answers: list[dict[str, object] | None] = []
        for start in (0, 100, 200, 300):  # four alarms of the same rule and subject
            evaluator = SlaEvaluator([RULE])
            alarm = next(a for t in range(start, start + 11) for a in evaluator.observe(_event(t, 30)))
            body = corrective_order(alarm)
            assert body is not None
            answers.append(await monitor._corrective(alarm, body))
            if start == 100:
                states["co-1"] = "completed"  # the first one ends: the next alarm may submit again
            if start == 200:
                states.pop("co-2")  # deleted while acknowledged: counts as ended
        await monitor.stop()
        return answers

    first, while_running, after_end, after_delete = asyncio.run(scenario())
    assert first is not None and first["id"] == "co-1"
    assert while_running == {
        "id": "co-1",
        "state": "acknowledged",
        "note": "the previous corrective order has not ended",
    }
    assert after_end is not None and after_end["id"] == "co-2"
    assert after_delete is not None and after_delete["id"] == "co-3"
    assert len(posts) == 3
