"""Where orders and TMF639 writes meet the pools: reserve at intake, re-reserve on PATCH."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidRequest
from intent.catalog import ResourceSpec
from intent.planner import PlannedItem
from inventory.pools import Holder, Reserving, release_resource, reserve


def reserve_order(
    session: Session, order_id: str, items: Sequence[PlannedItem], request: Mapping[str, Any]
) -> dict[str, Any]:
    """Reserve every item's pools in the caller's transaction (a Conflict rolls it all back).

    Returns the request with allocated characteristics written into its items, so that every later
    re-plan of the stored request (executor, recovery) renders the same values.
    """
    out = copy.deepcopy(dict(request))
    batch = Reserving(session)  # pools read once, each item's values claimed in one statement
    raw_items = {str(i.get("id")): i for i in out.get("orderItem", [])}
    for item in items:
        if item.action in ("delete", "noChange"):  # the resource holds its reservations
            continue
        before = item.before if item.action == "modify" else None  # a modify: only capacity increases
        try:
            holder = Holder(order_id, item.item_id)
            allocated = reserve(session, item.spec, item.values, holder, before, batch)
        except (Conflict, InvalidRequest) as exc:
            raise type(exc)(f"orderItem {item.item_id}: {exc}") from None
        if allocated:
            resource = raw_items[item.item_id].setdefault("resource", {})
            chars = [c for c in resource.get("resourceCharacteristic", []) if c.get("name") not in allocated]
            resource["resourceCharacteristic"] = chars + [
                {"name": k, "value": v} for k, v in allocated.items()
            ]
    batch.write()
    return out


def reserve_resource(
    session: Session, spec: ResourceSpec, resource_id: str, values: Mapping[str, Any], *, again: bool
) -> dict[str, Any]:
    """Reserve what a TMF639 resource's characteristics draw from; returns them complete.

    `again`: a PATCH — the resource's own reservations are released first, so that keeping a value
    is fine and taking another holder's is a Conflict (the caller's transaction rolls back).
    """
    if again:
        release_resource(session, resource_id)
    allocated = reserve(session, spec, values, Holder(resource_id=resource_id))
    return {**values, **allocated}
