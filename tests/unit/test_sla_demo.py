"""`make demo`'s closed-loop view (lab/sla_demo.py): its rule is a valid SLA rule, and its rows
take the RAN resource's slice and cell values only."""

from __future__ import annotations

import yaml

from lab.sla_demo import CELL, SLICE_KPI, Row, rule
from telemetry.sla_rules import rules_from_yaml


def test_the_demo_rule_is_a_valid_sla_rule_on_the_ran_resource() -> None:
    (parsed,) = rules_from_yaml(yaml.safe_dump([rule("ran-1")]))
    assert (parsed.resource, parsed.device, parsed.threshold) == ("ran-1", "gnb1", 3.0)
    assert parsed.tags == {"slice_sst": "2", "slice_sd": "00A0B1"}


def event(resource: str | None, tags: dict[str, str], values: dict[str, str]) -> dict[str, object]:
    return {"device": "gnb1", "resource": resource, "tags": tags, "values": values}


def test_a_row_takes_the_slice_and_its_cell_from_the_resource_subscription_only() -> None:
    row = Row(resource="ran-1")
    urllc = {"slice_sst": "2", "slice_sd": "00A0B1"}
    cell = {CELL + "RRU.PrbUsedDl": "43.2"}
    assert not row.take(event("ran-1", {"NRCellDU_id": "1"}, cell))  # the cell: kept, no row yet
    assert not row.take(event(None, urllc, {SLICE_KPI + "latency": "9.00"}))  # the device's own subscription
    assert not row.take(
        event("ran-1", {"slice_sst": "1", "slice_sd": "000001"}, {SLICE_KPI + "latency": "8"})
    )
    assert row.take(event("ran-1", urllc, {SLICE_KPI + "latency": "5.57", SLICE_KPI + "prbUsedDl": "163.8"}))
    assert (row.latency, row.slice["prbUsedDl"], row.cell["RRU.PrbUsedDl"]) == (5.57, "163.8", "43.2")
    assert not row.take(event("ran-1", urllc, {SLICE_KPI + "ues": "10"}))  # no latency in it: no new row
