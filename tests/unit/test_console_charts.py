"""The slice KPI chart (pure): the series as a line, the SLA rule's threshold, breaches marked."""

from __future__ import annotations

import json

from lxml import etree

from api.console.charts import chart
from api.console.kpis import Found, Series, _add, rule_for
from telemetry.sla_rules import Rule

SVG = "{http://www.w3.org/2000/svg}"
LATENCY = "/GNBDUFunction/NRCellDU/kpis/slice/latency"


def test_breaches_are_marked_and_the_rule_is_named() -> None:
    keys = (("slice_sd", "00A0B1"), ("slice_sst", "2"))
    series = Series("ran-1", LATENCY, keys, [(0.0, 2.0), (1.0, 4.5), (2.0, 2.1)])
    rule = Rule("urllc-latency", "kpis/slice/latency", ">", 3.0, 1.0, resource="ran-1", tags={"slice_sst": 2})
    assert rule_for([rule], series) is rule
    assert rule_for([rule], Series("ran-2", LATENCY, keys)) is None
    assert rule_for([rule], Series("ran-1", LATENCY, (("slice_sst", "1"),))) is None
    root = etree.fromstring(chart(series, rule).encode())
    assert root.get("aria-label") == (
        "latency of ran-1: 3 samples, last 2.1; SLA rule urllc-latency: alarm when > 3 for 1 s"
    )
    assert len(root.findall(f"{SVG}circle")) == 1  # only 4.5 is past the threshold
    assert len(root.find(f"{SVG}polyline").get("points").split()) == 3
    assert root.find(f"{SVG}line").get("class") == "limit"


def test_an_empty_series_is_still_a_named_picture() -> None:
    root = etree.fromstring(chart(Series("ran-1", LATENCY), None).encode())
    assert root.get("aria-label") == "latency of ran-1: 0 samples" and root.find(f"{SVG}polyline") is None


def test_only_kpis_of_the_wanted_resources_are_kept() -> None:
    out: Found = {}
    tags = {"source": "gnb1", "slice_sst": "2", "slice_sd": "00A0B1"}
    values = {LATENCY: "4.5", "/x/state": 1, "/GNBDUFunction/NRCellDU/kpis/slice/sst": 2}
    event = {"timestamp": 2_000_000_000, "resource": "ran-1", "tags": tags, "values": values}
    _add(out, json.dumps(event).encode(), {"ran-1"})
    _add(out, json.dumps({**event, "resource": "other"}).encode(), {"ran-1"})
    _add(out, b"not json", {"ran-1"})
    keys = (("slice_sd", "00A0B1"), ("slice_sst", "2"))
    assert list(out) == [("ran-1", LATENCY, keys)] and out["ran-1", LATENCY, keys].points == [(2.0, 4.5)]
