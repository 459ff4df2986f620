"""Carry one claimed order through the network-wide transaction to completed, failed or cancelled."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from core.db import Prepared, table
from core.errors import EXPECTED, RomError
from core.settings import Settings
from core.tmf652 import ResourceOrderCreate
from drivers import tasks
from drivers.base import DeviceTarget
from drivers.config_reads import netconf_reads, read_back
from drivers.nornir_plugins import make_nornir
from drivers.processors import MetricsProcessor
from drivers.tasks import mixed, normalise
from drivers.transaction import TransactionOutcome, run_transaction
from intent.edits import Plan, changed_devices, changed_resources, order_edits
from intent.fingerprint import PartPrint, part_prints
from intent.planner import (
    Intended,
    PlannedItem,
    commit_waves,
    execution_groups,
    participant_payloads,
    plan_order,
)
from intent.readback import after_commit_problems
from intent.yang.check import check_items, search_path
from inventory.context import Context
from inventory.intake import reserve_order
from inventory.intents import other_intents
from inventory.ownership import check_owners, own_intents
from inventory.records import device_platforms, device_rows
from rom import order_claims, order_store, reachability
from rom.finish import finish_order
from rom.metrics import ORDER_DURATION, ORDERS_FINISHED
from rom.order_audit import for_order
from rom.orders import current_resources
from rom.progress import PhaseSteps
from rom.start import Started, start_order
from telemetry.baseline import check_baselines, checks_from_spec

log = logging.getLogger(__name__)
CANCELLED = "cancellation requested"


@dataclass
class Trail:
    """What an order's pushes leave for its final transaction, also when a push raises: the
    transactions' outcomes (the audit trail) and the steps not yet in the step log."""

    audited: list[TransactionOutcome] = field(default_factory=list)
    steps: list[order_store.Step] = field(default_factory=list)


@dataclass
class Outcome:
    problems: list[str] = field(default_factory=list)
    cancelled: bool = False
    remarks: list[str] = field(default_factory=list)
    prints: dict[tuple[str, int], PartPrint] = field(default_factory=dict)  # what the post-check read
    checks: list[dict[str, Any]] = field(default_factory=list)  # the probes' results, for the audit


# threads kept for the work an order runs beside its own thread (the one-owner check, the KPI
# baselines): a thread started per order waits to be scheduled, which a loaded machine makes slow
HELPERS = ThreadPoolExecutor(32, thread_name_prefix="rom-order-helper")
_DEVICE_WORKERS: dict[int, ThreadPoolExecutor] = {}
_DEVICE_WORKERS_LOCK = threading.Lock()


def device_workers(settings: Settings) -> ThreadPoolExecutor:
    """Threads kept for the orders' device work (Nornir's tasks): a pool per order started a
    thread per device on the stage's path. Room for `workers` per order for `order_threads` orders
    at once, so no order waits for another's devices (threads start only when first needed)."""
    size = settings.workers * settings.order_threads
    with _DEVICE_WORKERS_LOCK:
        pool = _DEVICE_WORKERS.get(size)
        if pool is None:
            pool = _DEVICE_WORKERS[size] = ThreadPoolExecutor(size, thread_name_prefix="rom-device")
    return pool


FINISH_RETRY_SECONDS = 15.0  # the default order lease is 30 s
FINISH_RETRY_PAUSE = 0.5


def persist_id(order_id: str) -> str:
    """The confirmed-commit persist-id: lets any later session confirm or cancel the order's commit."""
    return f"rom-{order_id}"


def execute_order(ctx: Context, order_id: str, claimed: Started | None = None) -> str:
    """Run an order this process has claimed (and started, when `claimed` is given); returns its
    final state. Never leaves it inProgress."""
    if claimed is None:
        with ctx.transaction() as session:
            row = order_store.claimed_order(session, order_id)
            assert row is not None
            claimed = start_order(session, row)
        if claimed is None:
            return row.state
    request, correlation_id, checked = claimed.request, claimed.correlation_id, claimed.yang_checked
    log.info("order %s started (correlationId %s)", order_id, correlation_id)
    started = time.monotonic()
    items: list[PlannedItem] = []
    applied: set[str] | None = None
    trail = Trail()
    try:
        planned = plan(ctx, request, checked)
        items = planned.items
        groups = execution_groups(items, bool(request.get("partialAllowed")))
        owners = HELPERS.submit(_recheck_owners, ctx, items).result  # beside the stage
        if len(groups) == 1:
            outcome = _push(ctx, order_id, planned, trail, owners)
        else:
            owners()
            outcome, applied = _push_groups(ctx, order_id, planned, groups, trail)
    except EXPECTED as exc:
        outcome = Outcome([str(exc)])
    except Exception as exc:
        log.exception("order %s failed unexpectedly (correlationId %s)", order_id, correlation_id)
        outcome = Outcome([f"internal error: {type(exc).__name__}: {exc}"])
    try:
        final = _finish(
            order_id,
            lambda: finish_order(
                ctx,
                order_id,
                items,
                outcome.problems,
                outcome.cancelled,
                outcome.remarks,
                applied,
                outcome.prints,
                audited=trail.audited,
                steps=trail.steps,
                checks=outcome.checks,
                owner=claimed.owner,
            ),
        )
    except Exception:  # the order stays for recovery; the devices' changes must still be audited
        for tx in trail.audited:
            for_order(ctx, order_id)(tx)
        raise
    for problem in outcome.problems:  # one line per device and reason, as the order's notes say it
        log.warning("order %s: %s", order_id, " ".join(problem.split()))
    log.info("order %s %s (correlationId %s)", order_id, final, correlation_id)
    ORDERS_FINISHED.labels(final).inc()
    ORDER_DURATION.observe(time.monotonic() - started)
    return final


def _recheck_owners(ctx: Context, items: list[PlannedItem]) -> None:
    """The one-owner rule again, at execution: resources made since intake (TMF639, another
    order) own paths too (Conflict)."""
    with ctx.sessions() as session:
        check_owners(ctx, session, items)


def _finish(order_id: str, finish: Callable[[], str]) -> str:
    """The order's `finish_order`, tried again while the database is unreachable (a restart) for
    up to FINISH_RETRY_SECONDS, well inside the order's lease: the devices' changes stand, and
    their audit entries and the order's end are written together once it is back."""
    deadline = time.monotonic() + FINISH_RETRY_SECONDS
    while True:
        try:
            return finish()
        except OperationalError as exc:
            if time.monotonic() >= deadline:
                raise
            log.warning("order %s: database unreachable at its end (%s); trying again", order_id, exc.orig)
            time.sleep(FINISH_RETRY_PAUSE)


def plan(ctx: Context, request: dict[str, Any], yang_checked: str | None = None) -> Plan:
    """Plan the stored order against the inventory as it is now (the resources it modifies or
    deletes, and the others on their devices, whose shared entries must survive).

    Every payload is checked against its device's YANG (a 422, before stage and in a dry run),
    unless `yang_checked`, intake's stamp, vouches for these very payloads and model set."""
    order = ResourceOrderCreate.model_validate(request)
    with ctx.sessions() as session:
        platforms = device_platforms(session)
        current = current_resources(session, order)
    items = plan_order(order, ctx.catalog, platforms, current)
    others_by_device: dict[str, list[Intended]] = {}
    for want in other_intents(ctx, sorted(changed_devices(items)), changed_resources(items)):
        others_by_device.setdefault(want.device, []).append(want)
    planned = order_edits(ctx.catalog, items, others_by_device)
    rendered = [(item_id, want) for (item_id, _), want in zip(planned.owners, planned.verify, strict=True)]
    directories = search_path(ctx.settings.yang_path)
    check_items(ctx.catalog, items, platforms, directories, yang_checked, rendered)
    return planned


def _push_groups(
    ctx: Context, order_id: str, planned: Plan, groups: list[list[PlannedItem]], trail: Trail
) -> tuple[Outcome, set[str]]:
    """A partial order: each group its own all-or-nothing transaction; the item ids applied.
    A cancellation stops the groups not yet started (it cancels the order if none was applied)."""
    total, applied = Outcome(), set[str]()
    for group in groups:
        ids = ", ".join(i.item_id for i in group)
        outcome = _push(ctx, order_id, planned.subset(group), trail)
        total.remarks.extend(outcome.remarks)
        total.prints.update(outcome.prints)
        total.checks.extend(outcome.checks)
        if outcome.cancelled:
            if not applied:
                return Outcome(cancelled=True, remarks=total.remarks, checks=total.checks), applied
            total.problems.append(f"{CANCELLED}: orderItem {ids} and later ones not applied")
            break
        if outcome.problems:
            total.problems.extend(f"orderItem {ids}: {p}" for p in outcome.problems)
        else:
            applied.update(i.item_id for i in group)
    return total, applied


def kpi_baselines(
    ctx: Context,
    items: list[PlannedItem],
    remarks: list[str],
    known: Mapping[str, DeviceTarget] | None = None,
) -> list[str]:
    """The specs' `postChecks` KPI baselines over gNMI (empty: pass, or nothing to check).

    Checks on a device without a gNMI endpoint are skipped, and `remarks` says so. `known`: the
    transaction's targets (only other devices are read from the inventory).
    """
    checks = [c for i in items for c in checks_from_spec(i.spec.post_checks, i.values, i.device)]
    if not checks or not ctx.settings.kpi_baselines:
        return []
    known = known or {}
    named = sorted({c.device for c in checks if c.device})
    found = [known[n] for n in named if n in known]
    others = [n for n in named if n not in known]
    if others:
        with ctx.sessions() as session:  # a check may name another role's device (e.g. {upfDevice})
            found += [ctx.target(d) for d in device_rows(session, others)]
    targets = [t for t in found if t.gnmi_port]
    reachable = {t.name for t in targets}
    skipped = [c for c in checks if c.device not in reachable]
    remarks.extend(
        f"KPI baseline {c.name} skipped on {c.device}: no gNMI endpoint in the inventory" for c in skipped
    )
    checks = [c for c in checks if c.device in reachable]
    if not checks:
        return []
    window = max(float(i.spec.post_checks.get("window", 0)) for i in items if i.spec.post_checks)
    return check_baselines(targets, checks, window_s=window)


def _push(
    ctx: Context, order_id: str, planned: Plan, trail: Trail, owners: Callable[[], None] = lambda: None
) -> Outcome:
    """The all-or-nothing push, with the post-checks and the cancellation point before confirm.
    The read-back, the KPI baselines and the reachability probes all read the committed network:
    they run at the same time, and their problems are reported in that order.

    `owners`: waits for the one-owner check (raising its Conflict). It runs beside the stage,
    which changes no running configuration, and is waited for before the first commit; before
    the stage when a device takes a gNMI Set in the stage phase (it also has a NETCONF part).
    Its Conflict wins over the transaction's own problems."""
    names, items, intended = planned.devices, planned.items, planned.verify
    with ctx.sessions() as session:  # the cancellation point and the targets: one read
        cancelled = _cancel_requested(session, order_id)
        targets = [ctx.target(d) for d in device_rows(session, names)] if names and not cancelled else []
    if cancelled or not names:  # cancelled, or noChange only: nothing to push
        owners()
        return Outcome(cancelled=cancelled)
    payloads = participant_payloads(planned.edits)
    if any(mixed(protocols) for protocols in normalise(payloads).values()):
        owners()
    steps = PhaseSteps(ctx, order_id, trail.steps)  # each phase in the step log: the CLI's progress
    nr = make_nornir(
        targets,
        workers=ctx.settings.workers,
        processors=[MetricsProcessor(), steps],
        shared_workers=device_workers(ctx.settings),
    )
    remarks: list[str] = []
    checks: list[dict[str, Any]] = []
    prints: dict[tuple[str, int], PartPrint] = {}

    def neighbours() -> list[Intended]:
        return other_intents(ctx, names, changed_resources(items))

    def post_check() -> list[str]:
        nonlocal cancelled
        checked = [i for i in items if i.action in ("add", "modify")]
        kpi_remarks: list[str] = []
        by_name = {t.name: t for t in targets}
        kpis = HELPERS.submit(kpi_baselines, ctx, checked, kpi_remarks, by_name)
        try:
            probing = reachability.start_checks(ctx, checked, by_name)  # sent now
            actual = read_back(nr, intended)
            problems = after_commit_problems(intended, actual, neighbours)
        except BaseException:
            wait([kpis])  # the KPI baselines end before the post-check does, whatever happens
            raise
        kpi_problems, probed = kpis.result(), probing()
        remarks.extend(kpi_remarks + probed.remarks)
        if probed.step is not None:
            trail.steps.append(order_store.Step("reachability", probed.step))
            checks.extend(probed.step["results"])
        problems = problems or kpi_problems or probed.problems
        if problems:
            return problems
        prints.update(part_prints(planned.owners, intended, actual))
        with ctx.transaction() as session:  # the cancellation point, else the steps: one transaction
            cancelled = _cancel_requested(session, order_id)
            if not cancelled:
                order_store.add_steps(session, order_id, trail.steps)
                order_store.add_step(session, order_id, "committed", devices=names)
        if cancelled:
            return [CANCELLED]
        trail.steps.clear()
        return []

    result = run_transaction(
        nr,
        payloads,
        confirm_timeout=ctx.settings.confirm_timeout,
        persist_id=persist_id(order_id),
        post_check=post_check,
        on_outcome=trail.audited.append,  # written in the order's final transaction
        waves=commit_waves(items),
        before_commit=owners,
        read_after_commit=netconf_reads(intended),  # the read-back rides on the confirmed commit
    )
    owners()  # done already, unless the stage failed: a conflict is the reason to report
    if result.ok:
        return Outcome(remarks=remarks, prints=prints, checks=checks)
    if cancelled:
        return Outcome(cancelled=True, remarks=remarks, checks=checks)
    problems = result.errors or [f"transaction failed in phase {result.phase_failed}"]
    return Outcome(problems, remarks=remarks, checks=checks)


def _cancel_requested(session: Session, order_id: str) -> bool:
    """Whether the order's cancellation was asked for (one column: no ORM object)."""
    return any(flag for (flag,) in _CANCEL_REQUESTED.execute(session, {"id": order_id}))


_ORDERS = table(order_store.OrderRow)
_CANCEL_REQUESTED = Prepared(select(_ORDERS.c.cancel_requested).where(_ORDERS.c.id == bindparam("id")))


def dry_run(ctx: Context, request: dict[str, Any]) -> dict[str, dict[str, str]]:
    """What the order would change, per device and protocol (native diffs); nothing is persisted or kept."""
    order = ResourceOrderCreate.model_validate(request)
    with ctx.sessions() as session:  # what intake would refuse, refused here too
        platforms = device_platforms(session)
        items = plan_order(order, ctx.catalog, platforms, current_resources(session, order))
        wants = own_intents(ctx, items)
        pending = order_claims.pending(ctx, session, items, order_claims.claims_by_item(wants))
        check_owners(ctx, session, items, pending, wants)
        # the values intake would allocate (e.g. a QoS scheduler's sequence), then nothing is kept
        request = reserve_order(session, "dry-run", items, request)
        session.rollback()
    planned = plan(ctx, request)
    payloads = participant_payloads(planned.edits)
    with ctx.sessions() as session:
        targets = [ctx.target(d) for d in device_rows(session, sorted(payloads))]
    nr = make_nornir(targets, workers=ctx.settings.workers)
    try:
        results = nr.run(task=tasks.diff, payloads=payloads)
    finally:
        nr.close_connections()
    failed = [
        _one_line(device, result.exception or result[0].result)
        for device, result in sorted(results.items())
        if result.failed
    ]
    if failed:
        raise RomError(f"dry run failed: {'; '.join(failed)}")
    return {device: dict(result[0].result) for device, result in sorted(results.items())}


def _one_line(device: str, error: object) -> str:
    """`device: reason` on one line (a driver's error already starts with the device name)."""
    text = " ".join(str(error).split())
    return text if text.startswith(f"{device}: ") else f"{device}: {text}"
