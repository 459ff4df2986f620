"""Carry one acknowledged order through the network-wide transaction to completed or failed."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from sqlalchemy.orm import Session

from drivers.nornir_plugins import make_nornir
from drivers.transaction import run_transaction
from inventory.collector import read_back
from inventory.diff import compare
from inventory.store import Resource, list_devices
from inventory.tmf639 import resource_doc
from rom import store
from rom.context import Context
from rom.errors import RomError
from rom.events import ORDER_TOPIC, RESOURCE_TOPIC, now_iso, order_event, resource_event
from rom.lifecycle import check_item_transition, check_transition
from rom.metrics import ORDER_DURATION, ORDERS_FINISHED
from rom.planner import Intended, PlannedItem, device_payloads, intended_state, plan_order
from rom.tmf import ResourceOrderCreate

log = logging.getLogger(__name__)


def execute_order(ctx: Context, order_id: str) -> str:
    """Run an acknowledged order; returns its final state. Never leaves it inProgress."""
    with ctx.transaction() as session:
        if not store.claim_order(session, order_id, "acknowledged", "inProgress"):
            return "skipped"
        row = store.get_order(session, order_id)
        assert row is not None
        _set_state(session, row, "inProgress", startDate=now_iso())
        request, correlation_id = row.request, row.correlation_id
    started = time.monotonic()
    try:
        items, intended = _plan(ctx, request)
        problems = _apply(ctx, order_id, intended)
    except RomError as exc:
        problems = [str(exc)]
    except Exception as exc:
        log.exception("order %s failed unexpectedly", order_id)
        problems = [f"internal error: {type(exc).__name__}: {exc}"]
    with ctx.transaction() as session:
        row = store.get_order(session, order_id)
        assert row is not None
        if problems:
            _fail(session, row, problems)
        else:
            _complete(session, row, items, correlation_id)
        final = row.state
    ORDERS_FINISHED.labels(final).inc()
    ORDER_DURATION.observe(time.monotonic() - started)
    return final


def _plan(ctx: Context, request: dict[str, Any]) -> tuple[list[PlannedItem], list[Intended]]:
    with ctx.sessions() as session:
        platforms = {d.name: d.platform for d in list_devices(session)}
    items = plan_order(ResourceOrderCreate.model_validate(request), ctx.catalog, platforms)
    intended = [intended_state(ctx.catalog, i.spec, i.device, i.platform, i.values) for i in items]
    return items, intended


def _apply(ctx: Context, order_id: str, intended: list[Intended]) -> list[str]:
    """The all-or-nothing push; returns the problems (empty when every device confirmed)."""
    names = sorted({want.device for want in intended})
    with ctx.sessions() as session:
        targets = [ctx.target(d) for d in list_devices(session, names)]
    nr = make_nornir(targets, workers=ctx.settings.workers)

    def post_check() -> list[str]:
        actual = read_back(nr, intended)
        problems = []
        for want, data in zip(intended, actual, strict=True):
            if isinstance(data, str):
                problems.append(f"{want.device}: read-back failed: {data}")
                continue
            for diff in compare(want.payload, data, want.filter):
                problems.append(f"{want.device}: {diff.kind} {diff.path} after commit")
        return problems

    outcome = run_transaction(
        nr,
        device_payloads(intended),
        confirm_timeout=ctx.settings.confirm_timeout,
        persist_id=f"rom-{order_id}",
        post_check=post_check,
    )
    return [] if outcome.ok else (outcome.errors or [f"transaction failed in phase {outcome.phase_failed}"])


def _complete(session: Session, row: store.OrderRow, items: list[PlannedItem], correlation_id: str) -> None:
    doc = dict(row.doc)
    by_item = {}
    for item in items:
        resource = Resource(
            id=str(uuid.uuid4()),
            name=item.resource_name,
            category=item.spec.category,
            spec_id=item.spec.id,
            spec_version=item.spec.version,
            device=item.device,
            characteristics=item.values,
            order_id=row.id,
            order_item_id=item.item_id,
        )
        session.add(resource)
        session.flush()
        body = resource_doc(resource)
        store.add_event(
            session, RESOURCE_TOPIC, resource.id, resource_event("ResourceCreateEvent", body, correlation_id)
        )
        by_item[item.item_id] = body
    doc["orderItem"] = [
        _item_state(
            it,
            "completed",
            resource={
                **it.get("resource", {}),
                "id": by_item[it["id"]]["id"],
                "href": by_item[it["id"]]["href"],
            },
        )
        for it in doc["orderItem"]
    ]
    row.doc = doc
    _set_state(session, row, "completed", completionDate=now_iso())


def _fail(session: Session, row: store.OrderRow, problems: list[str]) -> None:
    doc = dict(row.doc)
    doc["orderItem"] = [_item_state(it, "failed") for it in doc["orderItem"]]
    notes = [{"date": now_iso(), "author": "ROM", "text": text} for text in problems]
    doc["note"] = [*doc.get("note", []), *notes]
    row.doc = doc
    _set_state(session, row, "failed", completionDate=now_iso())


def _item_state(item: dict[str, Any], state: str, **extra: Any) -> dict[str, Any]:
    if item.get("state") != state:
        check_item_transition(item.get("state", "inProgress"), state)
    return {**item, **extra, "state": state}


def _set_state(session: Session, row: store.OrderRow, state: str, **fields: Any) -> None:
    """Record a state change and its event in the caller's transaction."""
    if row.doc["state"] != state:
        check_transition(row.doc["state"], state)
    doc = {**row.doc, **fields, "state": state}
    if state == "inProgress":
        doc["orderItem"] = [_item_state(it, "inProgress") for it in doc["orderItem"]]
    row.doc = doc
    row.state = state
    store.add_event(
        session, ORDER_TOPIC, row.id, order_event("ResourceOrderStateChangeEvent", doc, row.correlation_id)
    )
