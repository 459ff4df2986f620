"""``rom telemetry run``: collector + Kafka publisher following the inventory, metrics over HTTP,
optionally the SLA monitor in the same loop, and optionally a share of the devices only
(``telemetry.cluster``: several collectors split the devices through leases in the database)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from prometheus_client import start_http_server

from drivers.grpc_tls import GrpcTls
from telemetry.cluster import Membership, member_id, mine
from telemetry.collector import Collector
from telemetry.publish import TOPIC, TelemetryPublisher
from telemetry.sla import ALARMS_TOPIC, SlaMonitor
from telemetry.sla_rules import Rule
from telemetry.subscriptions import DeviceInfo, ResourceInfo, wanted_subscriptions

log = logging.getLogger(__name__)
HANDOFF_MARGIN_S = 1.0  # a clean stop streams one check + this long after leaving: no gap, a few duplicates
Inventory = Callable[[], tuple[list[DeviceInfo], list[ResourceInfo]]]


@dataclass(frozen=True)
class RunOptions:
    bootstrap: str
    topic: str = TOPIC
    alarms_topic: str = ALARMS_TOPIC
    metrics_port: int | None = 9108
    metrics_host: str = "127.0.0.1"
    inventory_interval_s: float = 10.0
    sample_interval_s: float | None = None
    buffer_events: int = 200_000
    username: str = "admin"
    password: str = "admin"
    rules: Sequence[Rule] = ()
    api_url: str | None = None
    api_key: str | None = None  # presented to ROM's API by the SLA monitor
    tls: GrpcTls | None = None  # gNMI over TLS (None: plaintext)


async def run_telemetry(
    options: RunOptions,
    inventory: Inventory,
    stop: asyncio.Event | None = None,
    membership: Membership | None = None,
) -> None:
    """Serve until ``stop`` is set (or the task is cancelled); the subscription set is re-read from
    the inventory every ``inventory_interval_s`` and applied as a diff. With ``membership`` only
    this member's share of the devices is collected, re-checked every ``ttl_s / 3``."""
    stop = stop or asyncio.Event()
    if options.metrics_port is not None:
        start_http_server(options.metrics_port, options.metrics_host)
        log.info("telemetry metrics on http://%s:%d/metrics", options.metrics_host, options.metrics_port)
    publisher = TelemetryPublisher(
        options.bootstrap,
        options.topic,
        buffer_events=options.buffer_events,
        collector=membership.me if membership is not None else member_id(),
    )
    await publisher.start()
    collector = Collector(
        publisher.offer, username=options.username, password=options.password, tls=options.tls
    )
    monitor: SlaMonitor | None = None
    monitor_task: asyncio.Task[None] | None = None
    if options.rules:
        monitor = SlaMonitor(
            options.bootstrap,
            options.rules,
            telemetry_topic=options.topic,
            alarms_topic=options.alarms_topic,
            api_url=options.api_url,
            api_key=options.api_key,
        )
        await monitor.start()
        monitor_task = asyncio.create_task(monitor.run())
    tick = (
        options.inventory_interval_s
        if membership is None
        else min(options.inventory_interval_s, membership.ttl_s / 3)
    )
    loop = asyncio.get_running_loop()
    next_read, share = 0.0, Share()
    everything: tuple[list[DeviceInfo], list[ResourceInfo]] = ([], [])
    try:
        while not stop.is_set():
            if loop.time() >= next_read:
                everything = await asyncio.to_thread(inventory)
                next_read = loop.time() + options.inventory_interval_s
            devices, resources = everything
            if membership is not None:
                members = await asyncio.to_thread(membership.heartbeat)
                devices, resources = share.of(membership.me, members, devices, resources)
            wanted = wanted_subscriptions(devices, resources, sample_interval_s=options.sample_interval_s)
            await collector.apply(wanted)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), tick)
    finally:
        try:
            if membership is not None:  # a clean stop: the others take the devices at their next check
                await asyncio.to_thread(membership.leave)
                await asyncio.sleep(tick + HANDOFF_MARGIN_S)  # ... while this one still streams them
        finally:
            await collector.close()
        await publisher.stop()
        if monitor is not None and monitor_task is not None:
            monitor_task.cancel()
            await monitor.stop()


class Share:
    """This member's devices (and their resources); logs when the split changes."""

    def __init__(self) -> None:
        self.members: list[str] = []
        self.count = -1

    def of(
        self, me: str, members: list[str], devices: list[DeviceInfo], resources: list[ResourceInfo]
    ) -> tuple[list[DeviceInfo], list[ResourceInfo]]:
        owned = mine((d.name for d in devices), me, members)
        if members != self.members or len(owned) != self.count:
            log.info(
                "cluster: %d members, collecting %d of %d devices: %s",
                len(members), len(owned), len(devices), ",".join(sorted(owned)),
            )  # fmt: skip
            self.members, self.count = members, len(owned)
        return [d for d in devices if d.name in owned], [r for r in resources if r.device in owned]
