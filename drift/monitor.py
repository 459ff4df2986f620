"""Periodic reconciliation for `rom serve`: mark resources and publish `DriftEvent`s.

`reconcile_and_record(ctx)` runs one check-sync-first reconcile over the whole inventory, sets each
resource's `resourceStatus` (`alarm` when drifted, `unknown` when its device cannot be read,
`available` again when in sync; a TMF639 ResourceStateChangeEvent on each change) and publishes a
`DriftEvent` on `rom.drift.events` (keyed by device) whenever a resource's drift status changes or
a device's set of unmanaged entries changes. `run_periodically` is the loop to start in a thread.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from collections.abc import Sequence
from typing import Any

from core import outbox
from core.errors import EXPECTED
from core.events import RESOURCE_TOPIC, now_iso, resource_event
from drift.reconcile import ResourceDrift, reconcile
from inventory import fingerprints
from inventory.context import Context
from inventory.records import Resource
from inventory.tmf639 import resource_doc

DRIFT_TOPIC = "rom.drift.events"
MARKED = frozenset({"available", "alarm", "unknown"})  # statuses reconciliation may overwrite
DRIFT = "drift"
log = logging.getLogger(__name__)


def _status(drift: ResourceDrift) -> str:
    return "unknown" if drift.unreachable else "available" if drift.in_sync else "alarm"


def drift_event(device: str, rows: Sequence[ResourceDrift], status: str) -> dict[str, Any]:
    """A DriftEvent (documented in docs/events.md): one device, the resources or entries concerned."""
    at = now_iso()
    return {
        "eventId": str(uuid.uuid4()),
        "eventTime": at,
        "eventType": "DriftEvent",
        "device": device,
        "status": status,  # drifted | in-sync | unreachable | unmanaged
        "resources": [
            {
                "id": r.resource_id or None,
                "name": r.resource_name,
                "differences": [
                    {"kind": d.kind, "path": d.path, "intended": d.intended, "actual": d.actual}
                    for d in r.differences
                ],
            }
            for r in rows
        ],
    }


def _ours(row: Resource) -> bool:
    """Whether reconciliation may change this resource's status: it is `available`, or
    reconciliation set it (an alarm raised through the API, e.g. by the SLA monitor, stays)."""
    return row.resource_status == "available" or (row.resource_status in MARKED and row.status_by == DRIFT)


def _by_resource(report: Sequence[ResourceDrift]) -> dict[str, tuple[str, list[ResourceDrift]]]:
    """resource id -> (its status, the parts that decide it): a multi-role resource is `unknown`
    when one of its devices cannot be read, else `alarm` when one part drifted."""
    parts: dict[str, list[ResourceDrift]] = {}
    for r in report:
        if r.resource_id:
            parts.setdefault(r.resource_id, []).append(r)
    out = {}
    for rid, rows in parts.items():
        status = next((s for s in ("unknown", "alarm") if any(_status(r) == s for r in rows)), "available")
        out[rid] = (status, [r for r in rows if _status(r) == status])
    return out


def reconcile_and_record(ctx: Context) -> list[ResourceDrift]:
    """One reconciliation of every device; returns the report."""
    report = reconcile(ctx)
    with ctx.transaction() as session:
        for rid, (new, rows) in _by_resource(report).items():
            row = session.get(Resource, rid)
            if row is None or row.resource_status == new or not _ours(row):
                continue
            row.resource_status, row.status_by = new, DRIFT if new != "available" else ""
            doc = resource_doc(row)
            cid = f"drift-{uuid.uuid4()}"
            outbox.add_event(
                session, RESOURCE_TOPIC, row.id, resource_event("ResourceStateChangeEvent", doc, cid)
            )
            label = {"alarm": "drifted", "available": "in-sync", "unknown": "unreachable"}[new]
            for drift in rows:  # one DriftEvent per device concerned
                event = drift_event(drift.device, [drift], label)
                outbox.add_event(session, DRIFT_TOPIC, drift.device, event)
        _publish_unmanaged(session, report)
    return report


def _publish_unmanaged(session: Any, report: Sequence[ResourceDrift]) -> None:
    per: dict[str, list[ResourceDrift]] = {}
    for r in report:
        if r.unmanaged:
            per.setdefault(r.device, []).append(r)
    devices = {r.device for r in report}
    known = fingerprints.fingerprints(session, [f"unmanaged:{d}" for d in devices])
    for device in sorted(devices):
        rows = per.get(device, [])
        digest = hashlib.sha256("\n".join(sorted(r.differences[0].path for r in rows)).encode()).hexdigest()
        key = f"unmanaged:{device}"
        before = known.get(key)
        if (before.actual if before else hashlib.sha256(b"").hexdigest()) == digest:
            continue
        fingerprints.record(session, key, "", digest)
        outbox.add_event(session, DRIFT_TOPIC, device, drift_event(device, rows, "unmanaged"))


def run_periodically(ctx: Context, stop: threading.Event, interval: float | None = None) -> None:
    """Reconcile every `interval` seconds (default: ROM_RECONCILE_INTERVAL; 0: return at once)
    until `stop` is set. Errors are logged; the loop goes on."""
    every = ctx.settings.reconcile_interval if interval is None else interval
    if every <= 0:
        return
    while not stop.wait(every):
        try:
            report = reconcile_and_record(ctx)
            log.info(
                "reconciled: %d entries, %d not in sync", len(report), sum(not r.in_sync for r in report)
            )
        except EXPECTED as exc:
            log.warning("reconciliation failed: %s", exc)
        except Exception:
            log.exception("reconciliation failed")
