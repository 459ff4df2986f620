"""Hypothesis on the order state machine: whatever sequence of changes is attempted, only allowed
ones happen, and every reachable state keeps TMF652's safety rules.

The rules below are written from the TMF652 order life cycle, not copied from core/order_states.py: an
order only finishes after running, is only cancelled through the two cancellation states, and a
final state is final. The second machine drives the same rules through the API (PATCH, cancel,
DELETE) on an in-process app: the test is about the state machine, not the transport.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, precondition, rule

from api.app import create_app
from core.errors import InvalidRequest
from core.order_states import (
    ORDER_STATES,
    TERMINAL_STATES,
    can_transition,
    check_item_transition,
    check_transition,
)
from core.settings import Settings
from inventory.context import Context
from inventory.records import Device, upsert_device

ITEM_STATES = tuple(s for s in ORDER_STATES if s != "partial")
FINISHED = frozenset({"completed", "failed", "partial"})
CANCELLING = ("assessingCancellation", "pendingCancellation")
ORDERS = "/tmf-api/resourceOrderingManagement/v4/resourceOrder"
CANCELS = "/tmf-api/resourceOrderingManagement/v4/cancelResourceOrder"


def allowed(history: list[str], new: str) -> bool:
    """TMF652's safety rules for one more step after `history` (independent of the table)."""
    current = history[-1]
    if current in TERMINAL_STATES or new == current:
        return False
    if new == "rejected":
        return current == "acknowledged"
    if new in FINISHED:
        return current == "inProgress"
    if new == "cancelled":
        return current == "pendingCancellation"
    if new == "pendingCancellation":
        return current == "assessingCancellation"
    return current != "pendingCancellation"  # once cancellation is decided, only cancelled


def reachable(start: str, goal: str) -> bool:
    """Whether lifecycle allows going from `start` to `goal` in zero or more steps."""
    seen, frontier = {start}, [start]
    while frontier:
        state = frontier.pop()
        for nxt in ORDER_STATES:
            if can_transition(state, nxt) and nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return goal in seen


class OrderLifecycle(RuleBasedStateMachine):
    """Any attempted order or item change: accepted ones are legal, refused ones change nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.history = ["acknowledged"]
        self.items = ["acknowledged", "acknowledged"]

    @rule(new=st.sampled_from(ORDER_STATES))
    def change_order(self, new: str) -> None:
        current = self.history[-1]
        try:
            check_transition(current, new)
        except InvalidRequest:
            assert not can_transition(current, new)
            return
        assert can_transition(current, new)
        assert allowed(self.history, new), f"{' -> '.join(self.history)} -> {new}"
        self.history.append(new)

    @rule(index=st.integers(0, 1), new=st.sampled_from(ORDER_STATES))
    def change_item(self, index: int, new: str) -> None:
        current = self.items[index]
        try:
            check_item_transition(current, new)
        except InvalidRequest:
            return
        assert new in ITEM_STATES, f"an item became {new}"
        assert current not in TERMINAL_STATES, f"item left final state {current} for {new}"
        assert new not in FINISHED or current == "inProgress", f"item {current} -> {new}"
        self.items[index] = new

    @invariant()
    def states_are_known(self) -> None:
        assert self.history[-1] in ORDER_STATES
        assert all(item in ITEM_STATES for item in self.items)

    @invariant()
    def final_is_final(self) -> None:
        finals = [i for i, s in enumerate(self.history) if s in TERMINAL_STATES]
        assert not finals or finals[0] == len(self.history) - 1


TestOrderLifecycle = OrderLifecycle.TestCase
TestOrderLifecycle.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)


def test_every_declared_state_is_reachable_and_every_final_state_is_final() -> None:
    for state in ORDER_STATES:
        assert reachable("acknowledged", state), state
    for final in TERMINAL_STATES:
        assert not any(can_transition(final, s) for s in ORDER_STATES)


def waiting_order(vlan: int) -> dict[str, Any]:
    values = {
        "device": "pe1",
        "vrfName": f"P{vlan}",
        "routeDistinguisher": "65000:1",
        "interface": "Ethernet2",
        "vlanId": vlan,
        "ipv4Address": "10.20.0.1",
        "prefixLength": 31,
    }
    item = {
        "id": "1",
        "action": "add",
        "resourceSpecification": {"id": "l3vpn-endpoint"},
        "resource": {"resourceCharacteristic": [{"name": k, "value": v} for k, v in values.items()]},
    }
    return {"orderItem": [item], "requestedStartDate": "2099-01-01T00:00:00Z"}


class OrdersThroughTheApi(RuleBasedStateMachine):
    """PATCH / cancel / DELETE in any order: every state an order shows is reachable from the one
    seen before, refusals are 4xx, and only final orders can be deleted."""

    orders = Bundle("orders")

    @initialize()
    def start(self) -> None:
        self.var_dir = Path(tempfile.mkdtemp(prefix="rom-sm-"))
        settings_ = Settings(var_dir=self.var_dir, order_threads=1, lease_seconds=2)
        ctx = Context.create(settings_)
        with ctx.transaction() as session:
            upsert_device(session, Device(name="pe1", host="127.0.0.1", port=1, platform="rom-router"))
        ctx.engine.dispose()
        self.client = TestClient(create_app(settings_))
        self.client.__enter__()
        self.seen: dict[str, str] = {}
        self.deleted: set[str] = set()
        self.vlan = 100

    def teardown(self) -> None:
        if hasattr(self, "client"):
            self.client.__exit__(None, None, None)
            shutil.rmtree(self.var_dir, ignore_errors=True)

    def observe(self, order_id: str, state: str) -> None:
        before = self.seen.get(order_id, "acknowledged")
        assert state in ORDER_STATES
        assert reachable(before, state), f"{order_id}: {before} -> {state}"
        self.seen[order_id] = state

    @rule(target=orders)
    def submit(self) -> str:
        self.vlan += 1
        response = self.client.post(ORDERS, json=waiting_order(self.vlan))
        assert response.status_code == 201, response.text
        self.observe(response.json()["id"], response.json()["state"])
        return str(response.json()["id"])

    @rule(order_id=orders, state=st.sampled_from(["held", "pending", "acknowledged", *ORDER_STATES]))
    def patch_state(self, order_id: str, state: str) -> None:
        response = self.client.patch(
            f"{ORDERS}/{order_id}",
            json={"state": state},
            headers={"Content-Type": "application/merge-patch+json"},
        )
        assert response.status_code in (200, 400, 404, 409), response.text
        if response.status_code == 200:
            self.observe(order_id, response.json()["state"])
        if order_id in self.deleted and state in ("held", "pending", "acknowledged"):
            assert response.status_code == 404  # other states fail validation (400) first

    @rule(order_id=orders)
    def cancel(self, order_id: str) -> None:
        response = self.client.post(CANCELS, json={"resourceOrder": {"id": order_id}})
        assert response.status_code in (201, 400), response.text
        if response.status_code == 201 and response.json()["state"] == "done":
            assert self.client.get(f"{ORDERS}/{order_id}").json()["state"] == "cancelled"

    @rule(order_id=orders)
    def delete(self, order_id: str) -> None:
        state = self.seen.get(order_id)
        response = self.client.delete(f"{ORDERS}/{order_id}")
        assert response.status_code in (204, 404, 409), response.text
        if response.status_code == 204:
            assert order_id not in self.deleted
            self.deleted.add(order_id)
        elif response.status_code == 409:
            assert state not in TERMINAL_STATES

    @precondition(lambda self: bool(getattr(self, "seen", None)))
    @invariant()
    def shown_states_follow_the_machine(self) -> None:
        for order_id in list(self.seen):
            response = self.client.get(f"{ORDERS}/{order_id}")
            if order_id in self.deleted:
                assert response.status_code == 404
                continue
            assert response.status_code == 200, response.text
            self.observe(order_id, response.json()["state"])


TestOrdersThroughTheApi = OrdersThroughTheApi.TestCase
TestOrdersThroughTheApi.settings = settings(
    max_examples=15,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
