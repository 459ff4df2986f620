"""Finish or compensate orders whose worker died (kill -9, power loss) between claim and finish.

The step log says how far the saga got. Every confirmed commit carries the persist-id
`rom-<order id>`, so a new session can still confirm or cancel it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from drivers.base import DeviceDriver, DeviceTarget
from drivers.nornir_plugins import make_nornir
from drivers.registry import driver_for
from inventory.store import list_devices
from rom import store
from rom.context import Context
from rom.errors import RomError
from rom.executor import check_against_devices, persist_id, plan
from rom.finish import finish_order
from rom.transitions import set_state

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3


def recover_order(ctx: Context, order_id: str) -> str:
    """Bring an orphaned order to a state the network agrees with; returns the new state."""
    with ctx.sessions() as session:
        row = store.get_order(session, order_id)
        assert row is not None
        state, attempts, request = row.state, row.attempts, row.request
        committed = any(s.step == "committed" for s in store.steps(session, order_id))
    if state != "inProgress":  # claimed but never started: nothing was pushed
        return _release(ctx, order_id, None)
    try:
        items, intended = plan(ctx, request)
    except RomError as exc:
        return finish_order(ctx, order_id, [], [f"recovery: cannot re-plan the order: {exc}"], False)
    devices = sorted({w.device for w in intended})
    pid = persist_id(order_id)
    if committed:
        _each_device(ctx, devices, lambda d: d.confirm(pid))
        nr = make_nornir(_targets(ctx, devices), workers=ctx.settings.workers)
        try:
            problems = check_against_devices(nr, intended)
        finally:
            nr.close_connections()
        if not problems:
            return finish_order(ctx, order_id, items, [], False)
        note = "recovery: ROM stopped after commit and the devices no longer match the order: "
        return finish_order(ctx, order_id, [], [note + "; ".join(problems)], False)
    _each_device(ctx, devices, lambda d: d.cancel_commit(pid))
    if attempts >= MAX_ATTEMPTS:
        return finish_order(ctx, order_id, [], [f"recovery: gave up after {attempts} attempts"], False)
    return _release(ctx, order_id, "pending")


def _release(ctx: Context, order_id: str, state: str | None) -> str:
    with ctx.transaction() as session:
        row = store.get_order(session, order_id)
        assert row is not None
        if state is not None:
            set_state(session, row, state)
            store.add_step(session, order_id, "compensated")
        store.release_devices(session, order_id)
        row.owner, row.lease_until = None, None
        return row.state


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
        except RomError as exc:
            log.info("recovery on %s: %s", target.name, exc)
        finally:
            driver.close()
