"""`rom drift remediate` (push intended through the network-wide transaction) and `rom drift adopt`
(take the device's values into the inventory's characteristics)."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from lxml import etree

from core.errors import EXPECTED, Unprocessable
from drift.adopt import adoptable_changes
from drift.reconcile import (
    ResourceDrift,
    Snapshot,
    collect,
    compare_snapshot,
    reconcile,
)
from drivers import tasks
from drivers.config_reads import read_back
from drivers.nornir_plugins import make_nornir
from drivers.transaction import run_transaction
from intent.planner import Intended, participant_payloads
from intent.readback import after_commit_problems
from intent.tree import entry_labels, mark_replace
from intent.yang.check import problems, search_path
from inventory import audit
from inventory.context import Context
from inventory.intents import Part, parts_on
from inventory.records import list_devices
from inventory.resources import patch_resource

NC_FILTER = "{urn:ietf:params:xml:ns:netconf:base:1.0}filter"


@dataclass
class Remediation:
    payloads: dict[str, dict[str, str]]  # device -> protocol -> what is (or would be) pushed
    diffs: dict[str, dict[str, str]] = field(default_factory=dict)  # dry run: native diffs
    applied: bool = False
    errors: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # unreachable: nothing pushed there


def _shared(ctx: Context, devices: set[str]) -> dict[str, set[str]]:
    """device -> entry paths more than one resource part on it owns (kept as merges)."""
    counts: dict[str, Counter[str]] = {d: Counter() for d in devices}
    for part in parts_on(ctx, devices):
        want = part.intended
        if want.device in counts and want.protocol != "gnmi":
            counts[want.device].update(set(entry_labels(want.payload, want.filter)))
    return {d: {label for label, n in c.items() if n > 1} for d, c in counts.items()}


def plan_remediation(
    ctx: Context, snap: Snapshot, report: list[ResourceDrift], prune_unmanaged: bool
) -> tuple[list[Intended], list[Intended], list[str]]:
    """(edits to push, intents to verify after the push, devices skipped as unreachable), per
    drifted resource part (a multi-role resource pushes only its drifted roles)."""
    drifted = {r.key for r in report if r.resource_id and not r.in_sync and not r.unreachable}
    skipped = sorted({r.device for r in report if r.unreachable})
    parts = [p for p in snap.parts if p.key in drifted]
    check_yang(ctx, snap, parts)
    chosen = [p.intended for p in parts]
    shared = _shared(ctx, {w.device for w in chosen})
    edits = [
        w if w.protocol == "gnmi" else replace(w, payload=mark_replace(w.payload, w.filter, shared[w.device]))
        for w in chosen
    ]
    if prune_unmanaged:
        per: dict[str, list[str]] = {}
        for u in snap.unmanaged:
            per.setdefault(u.device, []).append(u.key)
        for u in {(u.device, u.scope): u for u in snap.unmanaged}.values():
            edits.append(Intended(u.device, u.scope.delete_payload(per[u.device]), etree.Element(NC_FILTER)))
    return edits, chosen, skipped


def check_yang(ctx: Context, snap: Snapshot, parts: list[Part]) -> None:
    """Unprocessable, before anything is pushed or diffed, naming the first resource whose intended
    payload its device's YANG refuses (`ROM_YANG_PATH`; e.g. a resource stored while validation
    was off, or rendered by a template changed since)."""
    directories = search_path(ctx.settings.yang_path)
    for part in parts if directories else ():
        want, resource = part.intended, part.resource
        known = snap.devices.get(want.device)
        platform = known.platform if known else ""
        found = problems(want, platform, directories)
        if found:
            raise Unprocessable(
                f"remediation refused, nothing pushed: resource {resource.name} ({resource.id}): the "
                f"intended payload for {want.device} ({platform}) breaks its YANG: {found[0]}"
            )


def remediate(
    ctx: Context,
    device: str | None = None,
    resource_id: str | None = None,
    apply: bool = False,
    prune_unmanaged: bool = False,
    principal: str | None = None,
) -> Remediation:
    """Dry run (default): per-device payloads and the devices' native diffs, nothing pushed.
    `apply`: push every drifted resource's intent in one all-or-nothing transaction, checked by
    reading it back before confirming; fingerprints are recorded afterwards. The push goes to
    the audit trail under `principal` (default: the local user) and a `drift-<uuid>` correlationId."""
    snap = collect(ctx, device, resource_id)
    report = compare_snapshot(ctx, snap, "compare-all", record=False)
    edits, verify, skipped = plan_remediation(ctx, snap, report, prune_unmanaged)
    payloads = participant_payloads(edits) if edits else {}
    out = Remediation(payloads, skipped=skipped)
    if not payloads:
        return out
    with ctx.sessions() as session:
        targets = [ctx.target(d) for d in list_devices(session, sorted(payloads))]
    nr = make_nornir(targets, workers=ctx.settings.workers)
    try:
        if not apply:
            results = nr.run(task=tasks.diff, payloads=payloads)
            for name, result in sorted(results.items()):
                if result.failed:
                    out.errors.append(f"{name}: dry run failed: {result.exception or result[0].result}")
                else:
                    out.diffs[name] = dict(result[0].result)
            return out
        correlation_id = f"drift-{uuid.uuid4()}"
        outcome = run_transaction(
            nr,
            payloads,
            confirm_timeout=ctx.settings.confirm_timeout,
            persist_id=f"rom-{correlation_id}",
            post_check=lambda: after_commit_problems(verify, read_back(nr, verify)),
            on_outcome=audit.recorder(ctx, correlation_id, principal or audit.local_principal()),
        )
    finally:
        nr.close_connections()
    out.applied = outcome.ok
    out.errors = list(outcome.errors) or ([] if outcome.ok else [f"failed in {outcome.phase_failed}"])
    if outcome.ok:
        reconcile(ctx, device, resource_id)  # records the new fingerprints
    return out


@dataclass
class Adoption:
    adopted: dict[str, dict[str, object]] = field(default_factory=dict)  # resource id -> new values
    not_adoptable: list[str] = field(default_factory=list)


def adopt(ctx: Context, device: str | None = None, resource_id: str | None = None) -> Adoption:
    """Take the device's values into each drifted resource's characteristics (a TMF639 PATCH, so
    reservations are checked and events published); what no characteristic renders is listed. A
    multi-role resource takes what each drifted role's device holds, in one PATCH."""
    snap = collect(ctx, device, resource_id)
    report = compare_snapshot(ctx, snap, "compare-all", record=False)
    out = Adoption()
    parts = {p.key: p for p in snap.parts}
    found: dict[str, dict[str, Any]] = {}
    for drift in report:
        if drift.in_sync or drift.unreachable or drift.key not in parts:
            if drift.unmanaged:
                out.not_adoptable.append(f"{drift.device}: {drift.differences[0].path} is unmanaged")
            continue
        resource, want = parts[drift.key].resource, parts[drift.key].intended
        spec = ctx.catalog.get(resource.spec_id)
        known = snap.devices.get(want.device)
        platform = known.platform if known else ""
        values, problems = adoptable_changes(ctx.catalog, spec, resource, platform, want, drift.differences)
        out.not_adoptable.extend(f"{resource.name}: {p}" for p in problems)
        taken = found.setdefault(resource.id, {})
        for name, value in values.items():
            if taken.get(name, value) != value:
                out.not_adoptable.append(f"{resource.name}: {name}: its devices hold different values")
            taken[name] = value
    resources = {p.resource.id: p.resource for p in snap.parts}
    for rid, values in found.items():
        if not values:
            continue
        resource = resources[rid]
        chars = [{"name": k, "value": v} for k, v in {**resource.characteristics, **values}.items()]
        try:
            patch_resource(ctx, rid, {"resourceCharacteristic": chars}, False, f"drift-adopt-{uuid.uuid4()}")
        except EXPECTED as exc:
            out.not_adoptable.append(f"{resource.name}: {exc}")
            continue
        out.adopted[rid] = values
    if out.adopted:
        reconcile(ctx, device, resource_id)
    return out
