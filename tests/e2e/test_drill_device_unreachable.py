"""Fault drill: a device becomes unreachable in the middle of an order.

The lab's pe2 answers slowly (an injected `latency` fault) so a two-device order is still running on
it; then pe2 drops its sessions and refuses new connections (the fleet's control API). The order
must fail cleanly: failed state, no inventory records, and every device (pe1 and pe2, read back
with an independent ncclient session once pe2 is reachable again) holds its prior configuration.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from lab.support import netconf_connect
from tests.e2e.conftest import Lab
from tests.e2e.test_kill_recovery import body

pytestmark = pytest.mark.e2e
ORDERS = "/tmf-api/resourceOrderingManagement/v4/resourceOrder"
RESOURCES = "/tmf-api/resourceInventoryManagement/v4/resource"
DEVICES = ("pe1", "pe2")


@pytest.fixture
def control(lab: Lab) -> Iterator[httpx.Client]:
    data = json.loads((lab.var_dir / "lab" / "rom-l3vpn" / "endpoints.json").read_text())
    with httpx.Client(base_url=data["control_url"], timeout=10) as client:
        yield client
        client.delete("/faults")


def running(lab: Lab, device: str) -> str:
    with netconf_connect(*lab.endpoint(device)) as m:
        return str(m.get_config(source="running").data_xml)


def inject(control: httpx.Client, **fault: Any) -> None:
    response = control.post("/faults", json=fault)
    assert response.status_code == 201, response.text


def wait_for(what: str, check: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_device_unreachable_mid_order_fails_cleanly(lab: Lab, control: httpx.Client) -> None:
    before = {d: running(lab, d) for d in DEVICES}
    inject(control, kind="latency", device="pe2", latency_ms=1500)
    response = lab.api.post(ORDERS, json=body(2))  # order 2 touches pe1 and pe2
    assert response.status_code == 201, response.text
    order_id = response.json()["id"]

    def state() -> str:
        return str(lab.api.get(f"{ORDERS}/{order_id}").json()["state"])

    wait_for("the order to start", lambda: state() == "inProgress", 60)
    time.sleep(1.0)  # inside pe2's slow RPCs
    inject(control, kind="refuse-connections", device="pe2")
    inject(control, kind="drop-sessions", device="pe2")
    wait_for("the order to end", lambda: state() in {"completed", "failed"}, 180)
    order = lab.api.get(f"{ORDERS}/{order_id}").json()
    assert order["state"] == "failed", order
    reasons = " | ".join(n.get("text", "") for n in order.get("note", []))
    assert "pe2" in reasons, f"the failure does not name the unreachable device: {reasons}"

    control.delete("/faults")
    resources = lab.api.get(RESOURCES, params={"limit": 1000}).json()
    left = [r for r in resources if order_id in json.dumps(r.get("note", []))]
    assert not left, "the failed order left inventory records"
    assert running(lab, "pe1") == before["pe1"], "pe1 kept part of the failed order"
    # pe2 may hold an unconfirmed commit from before the outage: it reverts at the confirm timeout.
    wait_for("pe2 to hold its prior configuration", lambda: running(lab, "pe2") == before["pe2"], 90)
    print(f"drill: order {order_id} failed cleanly: {reasons}")


def test_lab_still_takes_orders_after_the_outage(lab: Lab, control: httpx.Client) -> None:
    """The same devices work again once the fault is cleared (the driver does not keep a dead session)."""
    response = lab.api.post(ORDERS, json=body(5))  # order 5 touches pe1 and pe2
    assert response.status_code == 201, response.text
    order_id = response.json()["id"]
    deadline = time.monotonic() + 120
    while (state := lab.api.get(f"{ORDERS}/{order_id}").json()["state"]) not in {"completed", "failed"}:
        assert time.monotonic() < deadline, "order did not end"
        time.sleep(0.2)
    assert state == "completed"
    assert all("K5</" in running(lab, d) for d in DEVICES)
