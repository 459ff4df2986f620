"""Reachability post-checks on real processes (`rom lab up` + `rom serve`): an L3VPN order between pe1
and pe2 fails its reachability check while p1's links are down (through the simulators' control
API), every device reads back as before and the note names the pair; the same order completes once
the links are back, with its results in the order's note."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from lxml import etree

from lab.support import wait_order
from tests.e2e.conftest import Lab
from tests.e2e.test_order_to_device import ORDERS, RESOURCES, order_body, running

pytestmark = pytest.mark.e2e


def _control(lab: Lab) -> httpx.Client:
    data = json.loads((lab.var_dir / "lab" / "rom-l3vpn" / "endpoints.json").read_text())
    return httpx.Client(base_url=data["control_url"], timeout=10)


@pytest.fixture
def p1_isolated(lab: Lab) -> Iterator[None]:
    with _control(lab) as control:
        ids = []
        for link in ("pe1--p1", "p1--pe2"):
            fault = control.post("/faults", json={"kind": "link-down", "link": link})
            assert fault.status_code == 201, fault.text
            ids.append(fault.json()["id"])
        try:
            yield
        finally:
            for fault_id in ids:
                control.delete(f"/faults/{fault_id}")


def _notes(order: dict[str, object]) -> str:
    return "\n".join(n["text"] for n in order.get("note", []) if isinstance(n, dict))  # type: ignore[attr-defined]


def _recorded(lab: Lab, order_id: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The order's `reachability` step results and its events' payloads, from the lab's database."""
    with sqlite3.connect(f"file:{lab.var_dir / 'rom.db'}?mode=ro", uri=True) as db:
        steps = db.execute(
            "SELECT detail FROM order_steps WHERE order_id = ? AND step = 'reachability'", (order_id,)
        ).fetchall()
        events = db.execute("SELECT payload FROM outbox WHERE key = ?", (order_id,)).fetchall()
    assert len(steps) == 1, steps
    return json.loads(steps[0][0])["results"], [text for (text,) in events]


def _body() -> dict[str, object]:
    body = order_body("CUST-R", 300)
    for item, address in zip(body["orderItem"], ("10.30.0.1", "10.30.0.5"), strict=True):
        for ch in item["resource"]["resourceCharacteristic"]:
            if ch["name"] == "ipv4Address":
                ch["value"] = address
    return body


def test_links_down_fail_the_order_at_reachability_and_roll_back(lab: Lab, p1_isolated: None) -> None:
    before = {d: etree.tostring(running(lab, d)) for d in ("pe1", "pe2")}
    created = lab.api.post(ORDERS, json=_body())
    assert created.status_code == 201, created.text
    final = wait_order(lab.api, created.json()["id"])
    assert final["state"] == "failed", _notes(final)
    notes = _notes(final)
    assert "reachability vrf-any-to-any pe1 -> 10.30.0.5 (pe2) in CUST-R: 100% loss" in notes
    assert "pe2 -> 10.30.0.1 (pe1) in CUST-R" in notes
    assert "no path of up links" in notes  # the simulator's hint, from the gNOI trailing metadata
    assert {d: etree.tostring(running(lab, d)) for d in ("pe1", "pe2")} == before
    assert not any("CUST-R" in r["name"] for r in lab.api.get(RESOURCES).json())
    # the audit trail says why each device was rolled back: the failing pairs, from the order's
    # final transaction
    entries = lab.api.get("/admin/audit", params={"orderId": final["id"]}).json()
    assert sorted((e["device"], e["outcome"]) for e in entries) == [
        ("pe1", "rolledBack"),
        ("pe2", "rolledBack"),
    ]
    for entry in entries:
        assert "reachability vrf-any-to-any pe1 -> 10.30.0.5 (pe2) in CUST-R: 100% loss" in entry["error"]
    results, _ = _recorded(lab, final["id"])  # the step log keeps each pair's result and problem
    assert sorted(r["pair"] for r in results) == [
        "pe1 -> 10.30.0.5 (pe2) in CUST-R",
        "pe2 -> 10.30.0.1 (pe1) in CUST-R",
    ]
    assert all(r["lossPercent"] == 100 and r["problem"] for r in results)


def test_same_order_completes_with_reachability_results(lab: Lab) -> None:
    created = lab.api.post(ORDERS, json=_body())
    final = wait_order(lab.api, created.json()["id"])
    assert final["state"] == "completed", _notes(final)
    notes = _notes(final)
    for pair in ("pe1 -> 10.30.0.5 (pe2)", "pe2 -> 10.30.0.1 (pe1)"):
        assert f"reachability vrf-any-to-any {pair} in CUST-R: 3/3 answered, 0% loss" in notes
    assert "(via gnoi)" in notes
    results, events = _recorded(lab, final["id"])
    assert [(r["sent"], r["received"], r["problem"]) for r in results] == [(3, 3, None), (3, 3, None)]
    # a SOM reading the order's events sees the probe summary in the completed order's notes
    done = [json.loads(e) for e in events if '"completed"' in e]
    assert any(
        "reachability vrf-any-to-any pe1 -> 10.30.0.5 (pe2) in CUST-R: 3/3 answered" in json.dumps(e)
        for e in done
    )
    # each device's audit entry carries the order's probe results, as the step log has them
    entries = lab.api.get("/admin/audit", params={"orderId": final["id"]}).json()
    assert sorted((e["device"], e["outcome"]) for e in entries) == [
        ("pe1", "confirmed"),
        ("pe2", "confirmed"),
    ]
    for entry in entries:
        assert entry["checks"] == results
        assert {(c["pair"], c["received"], c["sent"], c["lossPercent"]) for c in entry["checks"]} == {
            ("pe1 -> 10.30.0.5 (pe2) in CUST-R", 3, 3, 0),
            ("pe2 -> 10.30.0.1 (pe1) in CUST-R", 3, 3, 0),
        }
        assert all(c["maxRttMs"] > 0 for c in entry["checks"])


def test_rom_device_ping_gives_the_post_check_result(lab: Lab) -> None:
    ok = lab.rom("device", "ping", "pe1", "10.30.0.5", "--vrf", "CUST-R")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "reachability ping pe1 -> 10.30.0.5 in CUST-R: 3/3 answered, 0% loss" in ok.stdout
    lost = lab.rom("device", "ping", "pe1", "10.30.0.5", "--vrf", "NO-SUCH-VRF", "--count", "2")
    assert lost.returncode == 1 and "100% loss" in lost.stderr, lost.stdout + lost.stderr
