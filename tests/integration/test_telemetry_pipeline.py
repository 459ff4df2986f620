"""gNMI → Kafka against the real broker (KRaft, loopback) and the simulators' gNMI servers.

Exact counting: a tap on the simulator side (``GnmiServicer.Subscribe`` wrapped before the fleet
starts) counts every update the gNMI server has handed to gRPC. To end a run without updates in
flight, the tap ends every server-side Subscribe stream *normally* (OK status after the last
message) and refuses new ones, so every counted update has been read by the collector once the
collector's count matches. The consumer then has to find each of them in Kafka exactly once.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from aiokafka import AIOKafkaConsumer
from prometheus_client import REGISTRY

from lab.kafka_broker import KafkaBroker, kafka_libdir
from sims.fleet import FleetThread, SimDeviceSpec
from sims.gnmi.server import GnmiServicer
from sims.gnmi.subscribe import SubscribeSession
from telemetry.collector import Backoff, Collector
from telemetry.events import Event
from telemetry.publish import TelemetryPublisher
from telemetry.subscriptions import DeviceInfo, ResourceInfo, wanted_subscriptions

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("java") is None, reason="Java (17+) is not installed: no Kafka broker"),
]
GUARD_S = 60.0  # only a guard against hanging, never asserted on
SAMPLE_S = 0.1
BROKER_STOP_S = float(os.environ.get("ROM_TEST_BROKER_STOP_S", "20"))
SPECS = [
    SimDeviceSpec("pe1"),
    SimDeviceSpec("pe2"),
    SimDeviceSpec("gnb1", model="gnb"),
    SimDeviceSpec("upf1", model="upf"),
]


class Tap:
    """Counts updates the simulators' gNMI servers emitted; ends their streams cleanly."""

    def __init__(self) -> None:
        self.updates = 0
        self.closed = False
        self.sessions: list[SubscribeSession] = []

    def end_streams(self) -> None:  # runs in the fleet's loop
        self.closed = True
        for session in self.sessions:
            session.close()
            session.queue.put_nowait(None)


@pytest.fixture
def tap(monkeypatch: pytest.MonkeyPatch) -> Tap:
    tap = Tap()
    original, original_start = GnmiServicer.Subscribe, SubscribeSession.start

    def start(self: SubscribeSession) -> None:
        tap.sessions.append(self)
        original_start(self)

    async def subscribe(self: GnmiServicer, requests: Any, context: Any) -> AsyncIterator[Any]:
        if tap.closed:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "run over")
        async for response in original(self, requests, context):
            yield response
            if response.HasField("update"):
                tap.updates += len(response.update.update) + len(response.update.delete)

    monkeypatch.setattr(SubscribeSession, "start", start)
    monkeypatch.setattr(GnmiServicer, "Subscribe", subscribe)
    return tap


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    with KafkaBroker(tmp_path_factory.mktemp("kafka"), lib_dir=kafka_libdir(fetch=True)) as running:
        yield running


@pytest.fixture
def fleet(tap: Tap) -> Iterator[FleetThread]:
    with FleetThread(SPECS) as running:
        yield running


def devices(fleet: FleetThread) -> list[DeviceInfo]:
    return [DeviceInfo(e.name, e.platform, e.host, e.gnmi_port) for e in fleet.endpoints]


SLICE = ResourceInfo("slice-1", "slice-core", "upf1", {"sst": 1, "sd": "FFFFFF"})


async def wait_for(predicate: Any, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + GUARD_S
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def consume(bootstrap: str, topic: str, expect_updates: int) -> list[Event]:
    """Every event on ``topic`` (read until ``expect_updates`` updates arrived, then a little more)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    events: list[Event] = []
    try:
        deadline = asyncio.get_running_loop().time() + GUARD_S
        quiet = 0
        while asyncio.get_running_loop().time() < deadline and quiet < 3:
            batch = await consumer.getmany(timeout_ms=300)
            records = [r for rs in batch.values() for r in rs]
            events.extend(Event.from_dict(json.loads(r.value or b"")) for r in records)
            reached = sum(e.updates for e in events) >= expect_updates
            quiet = quiet + 1 if reached and not records else 0
    finally:
        await consumer.stop()
    return events


def unique_ids(events: list[Event]) -> set[tuple[Any, ...]]:
    return {
        (
            e.device,
            e.name,
            e.timestamp,
            tuple(sorted(e.tags.items())),
            tuple(sorted(e.values)),
            tuple(e.deletes),
        )
        for e in events
    }


async def run(
    fleet: FleetThread,
    tap: Tap,
    broker: KafkaBroker,
    topic: str,
    *,
    buffer_events: int = 200_000,
    broker_stop_s: float = 0.0,
) -> tuple[Collector, TelemetryPublisher, list[Event], int]:
    publisher = TelemetryPublisher(broker.bootstrap, topic, buffer_events=buffer_events, linger_ms=5)
    await publisher.start()
    collector = Collector(publisher.offer, backoff=Backoff(0.1, 1.0))
    peak = 0
    await collector.apply(wanted_subscriptions(devices(fleet), [SLICE], sample_interval_s=SAMPLE_S))
    await wait_for(lambda: all(s.synced for s in collector.status().values()), "initial sync")
    await asyncio.sleep(1.0)  # some samples with the broker up
    if broker_stop_s:
        await asyncio.to_thread(broker.stop)
        loop = asyncio.get_running_loop()
        until = loop.time() + broker_stop_s
        while loop.time() < until:
            peak = max(peak, publisher.pending)
            await asyncio.sleep(0.05)
        await asyncio.to_thread(broker.start)
        await asyncio.sleep(1.0)  # and some more after it is back
    fleet.call(lambda _fleet: tap.end_streams())
    await wait_for(lambda: collector.received_updates + collector.bad_updates == tap.updates, "all updates")
    await collector.close()
    assert await publisher.flush(GUARD_S), "publisher did not drain"
    await publisher.stop()
    events = await consume(broker.bootstrap, topic, tap.updates - publisher.stats.dropped_updates)
    return collector, publisher, events, peak


def test_every_update_arrives_exactly_once(fleet: FleetThread, tap: Tap, broker: KafkaBroker) -> None:
    collector, publisher, events, _peak = asyncio.run(run(fleet, tap, broker, "t.exactly-once"))
    assert tap.updates > 500, "the run produced too little telemetry to mean anything"
    assert collector.bad_updates == 0
    assert sum(e.updates for e in events) == tap.updates
    assert len(unique_ids(events)) == len(events), "an event arrived twice"
    assert publisher.stats.dropped_updates == 0
    assert {e.device for e in events} == {s.name for s in SPECS}
    assert any(e.resource == "slice-1" and e.name == "resource/slice-1" for e in events)


def test_broker_stop_loses_nothing(fleet: FleetThread, tap: Tap, broker: KafkaBroker) -> None:
    _collector, publisher, events, peak = asyncio.run(
        run(fleet, tap, broker, "t.broker-stop", broker_stop_s=BROKER_STOP_S)
    )
    assert peak > 50, "nothing was buffered while the broker was away"
    assert sum(e.updates for e in events) == tap.updates
    assert len(unique_ids(events)) == len(events), "an event arrived twice"
    assert publisher.stats.dropped_updates == 0


def _dropped(reason: str) -> float:
    return REGISTRY.get_sample_value("rom_telemetry_dropped_updates_total", {"reason": reason}) or 0.0


def test_overflow_is_counted_exactly(fleet: FleetThread, tap: Tap, broker: KafkaBroker) -> None:
    before = _dropped("buffer-full")
    bound = 40
    _collector, publisher, events, peak = asyncio.run(
        run(fleet, tap, broker, "t.overflow", buffer_events=bound, broker_stop_s=4.0)
    )
    delivered = sum(e.updates for e in events)
    assert publisher.stats.dropped_updates > 0, "the bound was never exceeded"
    assert peak <= bound
    assert delivered + publisher.stats.dropped_updates == tap.updates
    assert _dropped("buffer-full") - before == publisher.stats.dropped_updates
    assert len(unique_ids(events)) == len(events)


def test_device_restart_is_followed_by_a_resubscription(tap: Tap, tmp_path: Path) -> None:
    received: list[Event] = []

    async def scenario() -> None:
        first = FleetThread([SimDeviceSpec("upf1", model="upf")])
        first.start()
        port = first.gnmi_port("upf1")
        collector = Collector(received.extend, backoff=Backoff(0.1, 0.5))
        try:
            await collector.apply(
                wanted_subscriptions(
                    [DeviceInfo("upf1", "rom-5gc", "127.0.0.1", port)], sample_interval_s=SAMPLE_S
                )
            )
            status = collector.status()[("upf1", "base")]
            await wait_for(lambda: status.syncs == 1, "first sync")
        finally:
            first.stop()
        await wait_for(lambda: not status.connected, "the stream to notice the restart")
        before = len(received)
        second = FleetThread([SimDeviceSpec("upf1", model="upf", gnmi_port=port)])
        second.start()
        try:
            await wait_for(lambda: status.syncs == 2 and len(received) > before, "resubscription")
        finally:
            await collector.close()
            second.stop()
        assert status.subscribes >= 2

    asyncio.run(scenario())


def test_bad_telemetry_is_counted_and_dropped(fleet: FleetThread) -> None:
    received: list[Event] = []
    before = REGISTRY.get_sample_value("rom_telemetry_bad_updates_total", {"reason": "oversized"}) or 0.0

    async def scenario() -> Collector:
        collector = Collector(received.extend, max_updates=20)  # pe's counter samples carry 32
        await collector.apply(wanted_subscriptions(devices(fleet), sample_interval_s=SAMPLE_S))
        status = collector.status()
        await wait_for(
            lambda: status[("pe1", "base")].bad > 100 and status[("upf1", "base")].updates > 50, "data"
        )
        assert status[("pe1", "base")].subscribes == 1, "bad telemetry broke the stream"
        await collector.close()
        return collector

    collector = asyncio.run(scenario())
    status = collector.status()
    assert status == {}  # closed
    after = REGISTRY.get_sample_value("rom_telemetry_bad_updates_total", {"reason": "oversized"}) or 0.0
    assert after - before == collector.bad_updates > 0
    pe1_values = [key for e in received if e.device == "pe1" for key in e.values]
    assert pe1_values and all("counters" not in key for key in pe1_values)  # oper-status still flows
