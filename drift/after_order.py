"""Fingerprints right after an order, so that a check-sync then needs no full compare.

`record_order_fingerprints` reads back the resources an order created or modified (one read per
part, devices in parallel), compares them in full and records the fingerprints of the parts found
in sync (`drift.reconcile`). It runs after the order's transaction, outside it, best effort:
a device that cannot be read or a part that differs only leaves its fingerprint unrecorded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection

from sqlalchemy import select

from drift.reconcile import reconcile
from inventory.context import Context
from inventory.store import Resource

log = logging.getLogger(__name__)


def record_order_fingerprints(ctx: Context, order_id: str, modified: Collection[str] = ()) -> int:
    """Record the fingerprints of the order's resources (created by it, or `modified` ids) that are
    in sync; the number of parts recorded. Never raises."""
    started = time.monotonic()
    try:
        with ctx.sessions() as session:
            created = session.scalars(select(Resource.id).where(Resource.order_id == order_id))
            ids = set(created) | set(modified)
        if not ids:
            return 0
        report = reconcile(ctx, resource_ids=ids, mode="full")
    except Exception:
        log.warning("order %s: fingerprints not recorded", order_id, exc_info=True)
        return 0
    recorded = sum(1 for r in report if r.resource_id and r.in_sync)
    log.info(
        "order %s: %d of %d resource part(s) fingerprinted in %.3f s",
        order_id,
        recorded,
        sum(1 for r in report if r.resource_id),
        time.monotonic() - started,
    )
    return recorded
