"""``rom telemetry run``: collector + Kafka publisher following the inventory, metrics over HTTP,
and optionally the SLA monitor in the same loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from prometheus_client import start_http_server

from drivers.grpc_tls import GrpcTls
from telemetry.collector import Collector
from telemetry.publish import TOPIC, TelemetryPublisher
from telemetry.sla import ALARMS_TOPIC, SlaMonitor
from telemetry.sla_rules import Rule
from telemetry.subscriptions import DeviceInfo, ResourceInfo, wanted_subscriptions

log = logging.getLogger(__name__)
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


async def run_telemetry(options: RunOptions, inventory: Inventory, stop: asyncio.Event | None = None) -> None:
    """Serve until ``stop`` is set (or the task is cancelled); the subscription set is re-read from
    the inventory every ``inventory_interval_s`` and applied as a diff."""
    stop = stop or asyncio.Event()
    if options.metrics_port is not None:
        start_http_server(options.metrics_port, options.metrics_host)
        log.info("telemetry metrics on http://%s:%d/metrics", options.metrics_host, options.metrics_port)
    publisher = TelemetryPublisher(options.bootstrap, options.topic, buffer_events=options.buffer_events)
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
    try:
        while not stop.is_set():
            devices, resources = await asyncio.to_thread(inventory)
            wanted = wanted_subscriptions(devices, resources, sample_interval_s=options.sample_interval_s)
            await collector.apply(wanted)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), options.inventory_interval_s)
    finally:
        await collector.close()
        await publisher.stop()
        if monitor is not None and monitor_task is not None:
            monitor_task.cancel()
            await monitor.stop()
