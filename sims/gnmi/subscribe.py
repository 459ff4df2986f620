"""gNMI Subscribe: ONCE, POLL and STREAM (SAMPLE, ON_CHANGE, TARGET_DEFINED) on one device.

Updates are per leaf. ON_CHANGE waits on the device's change listeners (a NETCONF commit, a gNMI
Set, a confirmed-commit revert or a state change all fire them) and sends only the leaves that
changed, plus deletes for leaves that went away; a heartbeat resends everything. TARGET_DEFINED
samples counters and watches everything else for changes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
from lxml import etree
from pygnmi.spec.v080 import gnmi_pb2

from sims.device import SimDevice
from sims.gnmi.codec import Codec, leaves
from sims.gnmi.modules import GnmiError
from sims.gnmi.paths import Step, format_path, path_of, resolve, root_tag, steps_of
from sims.gnmi.scope import reached_state

Mode = gnmi_pb2.SubscriptionMode
ListMode = gnmi_pb2.SubscriptionList.Mode
DEFAULT_SAMPLE_S = 1.0  # sample_interval 0: the fastest rate this simulator calls sensible
MIN_SAMPLE_S = 0.05
TARGET_DEFINED_SAMPLE_S = 10.0
COUNTER_CONTAINERS = frozenset({"counters", "statistics"})
NS_PER_S = 1e9

Snapshot = dict[str, tuple[gnmi_pb2.Path, Any]]
LeafFilter = Callable[[etree._Element], bool]


def is_counter(leaf: etree._Element) -> bool:
    """Whether a leaf sits in a counters/statistics container (sampled under TARGET_DEFINED)."""
    return any(etree.QName(a).localname in COUNTER_CONTAINERS for a in leaf.iterancestors())


@dataclass
class Plan:
    """One effective subscription: what to watch and how."""

    steps: list[Step]
    on_change: bool
    interval: float
    heartbeat: float | None
    suppress_redundant: bool
    leaf_filter: LeafFilter | None = None


def _seconds(ns: int, default: float) -> float:
    return default if ns == 0 else max(ns / NS_PER_S, MIN_SAMPLE_S)


def make_plans(request: gnmi_pb2.SubscriptionList, codec: Codec) -> list[Plan]:
    """Validate a SubscriptionList and turn it into plans (TARGET_DEFINED becomes two)."""
    if request.use_aliases:
        raise GnmiError(grpc.StatusCode.UNIMPLEMENTED, "aliases are not supported")
    if not request.subscription:
        raise GnmiError(grpc.StatusCode.INVALID_ARGUMENT, "subscription list is empty")
    prefix = request.prefix if request.HasField("prefix") else None
    plans = []
    for sub in request.subscription:
        steps = steps_of(prefix, sub.path, codec.modules)
        if steps and steps[0].name != "*":
            root_tag(steps, codec.schema)
        heartbeat = sub.heartbeat_interval / NS_PER_S if sub.heartbeat_interval else None
        interval = _seconds(sub.sample_interval, DEFAULT_SAMPLE_S)
        if sub.mode == Mode.TARGET_DEFINED and request.mode == ListMode.STREAM:
            sample = _seconds(sub.sample_interval, TARGET_DEFINED_SAMPLE_S)
            plans.append(Plan(steps, False, sample, heartbeat, sub.suppress_redundant, is_counter))
            plans.append(Plan(steps, True, 0.0, heartbeat, True, lambda leaf: not is_counter(leaf)))
        else:
            on_change = sub.mode == Mode.ON_CHANGE
            plans.append(Plan(steps, on_change, interval, heartbeat, sub.suppress_redundant or on_change))
    return plans


class SubscribeSession:
    """The responses of one Subscribe RPC, produced into ``queue`` (None ends the stream)."""

    def __init__(self, device: SimDevice, request: gnmi_pb2.SubscriptionList, codec: Codec) -> None:
        self.device = device
        self.request = request
        self.codec = codec
        self.plans = make_plans(request, codec)
        self.queue: asyncio.Queue[gnmi_pb2.SubscribeResponse | None] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._removers: list[Callable[[], None]] = []
        self.error: GnmiError | None = None

    def fail(self, error: GnmiError) -> None:
        """End the stream with ``error``."""
        self.error = error
        self.queue.put_nowait(None)

    # -- snapshots -------------------------------------------------------------------------------
    def snapshot(self, plan: Plan, tree: etree._Element | None = None) -> Snapshot:
        """Every watched leaf's path and JSON value, now."""
        tree = reached_state(self.device, [plan.steps]) if tree is None else tree
        result: Snapshot = {}
        for node in resolve(tree, plan.steps):
            for leaf in leaves(node):
                if plan.leaf_filter is None or plan.leaf_filter(leaf):
                    path = path_of(leaf, self.codec.schema)
                    result[format_path(path)] = (path, self.codec.leaf_json(leaf))
        return result

    def _notification(
        self, updates: Snapshot, deletes: list[gnmi_pb2.Path] | None = None
    ) -> gnmi_pb2.SubscribeResponse:
        notification = gnmi_pb2.Notification(timestamp=time.time_ns())
        prefix = self.request.prefix
        if prefix.target or prefix.origin:
            notification.prefix.CopyFrom(gnmi_pb2.Path(origin=prefix.origin, target=prefix.target))
        for path, value in updates.values():
            notification.update.append(gnmi_pb2.Update(path=path, val=self.codec.typed(value)))
        notification.delete.extend(deletes or [])
        return gnmi_pb2.SubscribeResponse(update=notification)

    def _emit(self, updates: Snapshot, deletes: list[gnmi_pb2.Path] | None = None) -> None:
        if updates or deletes:
            self.queue.put_nowait(self._notification(updates, deletes))

    def send_all(self) -> list[Snapshot]:
        """Queue the current value of every watched leaf, then sync_response; returns the snapshots."""
        tree = reached_state(self.device, [plan.steps for plan in self.plans])
        snapshots = [self.snapshot(plan, tree) for plan in self.plans]
        if not self.request.updates_only:
            for snap in snapshots:
                self._emit(snap)
        self.queue.put_nowait(gnmi_pb2.SubscribeResponse(sync_response=True))
        return snapshots

    # -- modes -------------------------------------------------------------------------------------
    def start(self) -> None:
        """Begin: ONCE queues everything and the end; STREAM starts its loops; POLL sends the initial
        updates and sync (unless updates_only, as the spec's maintainers read 3.5.2.3) and then waits
        for polls."""
        mode = self.request.mode
        if mode == ListMode.ONCE:
            self.send_all()
            self.queue.put_nowait(None)
        elif mode == ListMode.POLL:
            self.send_all()
        elif mode == ListMode.STREAM:
            snapshots = self.send_all()
            for plan, snap in zip(self.plans, snapshots, strict=True):
                loop = self._on_change_loop(plan, snap) if plan.on_change else self._sample_loop(plan, snap)
                self._tasks.append(asyncio.get_running_loop().create_task(loop))
        elif mode != ListMode.POLL:
            raise GnmiError(grpc.StatusCode.INVALID_ARGUMENT, f"unknown subscription mode {mode}")

    def poll(self) -> None:
        """Answer one Poll message."""
        if self.request.mode != ListMode.POLL:
            raise GnmiError(grpc.StatusCode.INVALID_ARGUMENT, "poll on a subscription that is not POLL")
        tree = reached_state(self.device, [plan.steps for plan in self.plans])
        for plan in self.plans:
            self._emit(self.snapshot(plan, tree))
        self.queue.put_nowait(gnmi_pb2.SubscribeResponse(sync_response=True))

    def close(self) -> None:
        """Stop the loops and forget the change listeners."""
        for task in self._tasks:
            task.cancel()
        for remove in self._removers:
            remove()
        self._removers.clear()

    async def _sample_loop(self, plan: Plan, last: Snapshot) -> None:
        loop = asyncio.get_running_loop()
        next_heartbeat = loop.time() + plan.heartbeat if plan.heartbeat else None
        while True:
            await asyncio.sleep(plan.interval)
            now = self.snapshot(plan)
            full = not plan.suppress_redundant
            if next_heartbeat is not None and loop.time() >= next_heartbeat:
                full, next_heartbeat = True, loop.time() + (plan.heartbeat or 0.0)
            self._send_diff(last, now, full)
            last = now

    async def _on_change_loop(self, plan: Plan, last: Snapshot) -> None:
        changed = asyncio.Event()
        self._removers.append(self.device.add_change_listener(changed.set))
        while True:
            try:
                await asyncio.wait_for(changed.wait(), plan.heartbeat)
            except TimeoutError:
                now = self.snapshot(plan)
                self._send_diff(last, now, full=True)
            else:
                changed.clear()
                now = self.snapshot(plan)
                self._send_diff(last, now, full=False)
            last = now

    def _send_diff(self, last: Snapshot, now: Snapshot, full: bool) -> None:
        updates = (
            now if full else {k: item for k, item in now.items() if k not in last or last[k][1] != item[1]}
        )
        deletes = [path for key, (path, _value) in last.items() if key not in now]
        self._emit(updates, deletes)
