"""Finish or compensate orders whose worker died (kill -9, power loss) between claim and finish.

The step log says how far the saga got. Every confirmed commit carries the persist-id
`rom-<order id>`, so a new session can still confirm or cancel it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from core.errors import EXPECTED
from drivers.base import DeviceDriver, DeviceTarget
from drivers.config_reads import read_back
from drivers.nornir_plugins import make_nornir
from drivers.registry import driver_for
from drivers.transaction import HostOutcome, TransactionOutcome
from intent.edits import changed_resources
from intent.planner import execution_groups
from intent.readback import after_commit_problems
from inventory.context import Context
from inventory.intents import other_intents
from inventory.records import list_devices
from rom import order_store
from rom.executor import persist_id, plan
from rom.finish import finish_order
from rom.order_audit import for_order
from rom.transitions import set_state

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3


def recover_order(ctx: Context, order_id: str) -> str:
    """Bring an orphaned order to a state the network agrees with; returns the new state.

    A group of items (the whole order unless it allows partial) whose devices all reached the
    `committed` step is confirmed and checked; the others are cancelled by persist-id. With no
    group committed the order is queued again."""
    with ctx.sessions() as session:
        row = order_store.get_order(session, order_id)
        assert row is not None
        state, attempts, request, checked = row.state, row.attempts, row.request, row.yang_checked
        steps = order_store.steps(session, order_id)
        marks = [s.detail or {} for s in steps if s.step == "committed"]
    if state != "inProgress":  # claimed but never started: nothing was pushed
        return _release(ctx, order_id, None)
    try:
        planned = plan(ctx, request, checked)
    except EXPECTED as exc:
        return finish_order(ctx, order_id, [], [f"recovery: cannot re-plan the order: {exc}"], False)
    groups = execution_groups(planned.items, bool(request.get("partialAllowed")))
    everything = any("devices" not in m for m in marks)  # a step without its devices: all committed
    committed = set(planned.devices) if everything else {d for m in marks for d in m["devices"]}
    done = [g for g in groups if marks and set(planned.subset(g).devices) <= committed]
    left = [g for g in groups if g not in done]
    pid = persist_id(order_id)
    _each_device(
        ctx, sorted(d for g in left for d in planned.subset(g).devices), lambda d: d.cancel_commit(pid)
    )
    if not done:
        if attempts >= MAX_ATTEMPTS:
            return finish_order(ctx, order_id, [], [f"recovery: gave up after {attempts} attempts"], False)
        return _release(ctx, order_id, "pending")
    kept = planned.subset([i for g in done for i in g])  # groups share no device
    devices = kept.devices
    _each_device(ctx, devices, lambda d: d.confirm(pid))
    _audit(ctx, order_id, devices, [])
    nr = make_nornir(_targets(ctx, devices), workers=ctx.settings.workers)
    try:
        skip = changed_resources(planned.items)
        actual = read_back(nr, kept.verify)
        problems = after_commit_problems(kept.verify, actual, lambda: other_intents(ctx, devices, skip))
    finally:
        nr.close_connections()
    if problems:
        note = "recovery: ROM stopped after commit and the devices no longer match the order: "
        return finish_order(ctx, order_id, [], [note + "; ".join(problems)], False)
    if not left:
        return finish_order(ctx, order_id, planned.items, [], False)
    unapplied = [
        f"recovery: orderItem {', '.join(i.item_id for i in g)}: ROM stopped before it was committed"
        for g in left
    ]
    applied = {i.item_id for i in kept.items}
    return finish_order(ctx, order_id, planned.items, unapplied, False, applied=applied)


def _release(ctx: Context, order_id: str, state: str | None) -> str:
    with ctx.transaction() as session:
        row = order_store.get_order(session, order_id)
        assert row is not None
        if state is not None:
            set_state(session, row, state)
            # the cause of the next `started` step: the step log reads as one run, retried once
            order_store.add_step(session, order_id, "requeued", cause="its worker stopped before any commit")
        order_store.release_devices(session, order_id)
        row.owner, row.lease_until = None, None
        return row.state


def _audit(ctx: Context, order_id: str, confirmed: list[str], cancelled: list[str]) -> None:
    """The audit trail's entries for what recovery did (the diffs died with the worker)."""
    if not confirmed and not cancelled:
        return
    lost = {"netconf": "(not known: the diff was lost with the stopped worker)"}
    why = "recovery: a pending commit of the order (if any) was cancelled"
    hosts = {d: HostOutcome(changed=True, diffs=lost) for d in confirmed}
    hosts.update({d: HostOutcome(failed=True, rolled_back=True, error=why, diffs=lost) for d in cancelled})
    outcome = TransactionOutcome(
        not cancelled, "recovery" if cancelled else None, hosts, [why] if cancelled else []
    )
    for_order(ctx, order_id)(outcome)


def _targets(ctx: Context, devices: list[str]) -> list[DeviceTarget]:
    with ctx.sessions() as session:
        return [ctx.target(d) for d in list_devices(session, devices)]


def _each_device(ctx: Context, devices: list[str], action: Callable[[DeviceDriver], None]) -> None:
    """Best effort on every device: 'nothing pending' answers are expected and only logged."""
    for target in _targets(ctx, devices):
        driver = driver_for(target)
        try:
            driver.open()
            action(driver)
        except EXPECTED as exc:
            log.info("recovery on %s: %s", target.name, exc)
        finally:
            driver.close()
