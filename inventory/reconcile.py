"""Reconciliation: intended state from inventory versus what the devices hold."""

from __future__ import annotations

from dataclasses import dataclass

from drivers.nornir_plugins import make_nornir
from inventory.collector import read_back
from inventory.diff import Difference, compare
from inventory.store import list_devices, list_resources
from rom.context import Context
from rom.planner import Intended, intended_state


@dataclass(frozen=True)
class ResourceDrift:
    resource_id: str
    resource_name: str
    device: str
    differences: tuple[Difference, ...]

    @property
    def in_sync(self) -> bool:
        return not self.differences


def reconcile(ctx: Context, device: str | None = None, resource_id: str | None = None) -> list[ResourceDrift]:
    """Compare every selected resource with its device; one entry per resource."""
    with ctx.sessions() as session:
        resources = list_resources(session, device=device, resource_id=resource_id)
        devices = {d.name: d for d in list_devices(session, sorted({r.device for r in resources}))}
    if not resources:
        return []
    wanted: list[Intended] = []
    for r in resources:
        spec = ctx.catalog.get(r.spec_id)
        wanted.append(
            intended_state(ctx.catalog, spec, r.device, devices[r.device].platform, r.characteristics)
        )
    nr = make_nornir([ctx.target(d) for d in devices.values()], workers=ctx.settings.workers)
    try:
        actual = read_back(nr, wanted)
    finally:
        nr.close_connections()
    report = []
    for r, want, have in zip(resources, wanted, actual, strict=True):
        if isinstance(have, str):
            diffs: tuple[Difference, ...] = (Difference("unreachable", "/", None, have),)
        else:
            diffs = tuple(compare(want.payload, have, want.filter))
        report.append(ResourceDrift(r.id, r.name, r.device, diffs))
    return report
