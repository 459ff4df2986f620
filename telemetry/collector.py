"""The gNMI collector: one Subscribe stream per subscription, on ``grpc.aio`` in one event loop.

Why grpc.aio with pygnmi's stubs rather than ``pygnmi.client``: pygnmi runs each subscription in
its own thread, turns every notification into nested dicts, and raises CANCELLED from that thread
when a stream is closed; a fleet of 100 devices would mean 100+ threads handing dicts over queues
to an asyncio Kafka producer. Here every stream is a task in the producer's own loop, gets the
protobuf ``Notification`` (decoded in C by upb), and hands normalised events to a synchronous,
non-blocking sink. Cancellation is a task cancel.

Each stream reconnects on its own, forever, with exponential backoff and full jitter; a fresh
channel per attempt (so gRPC's own reconnect backoff never delays a resubscription after a device
restart). ``sync_response`` marks a stream as synced (``status()``) and resets its backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass

import grpc
from pygnmi.spec.v080 import gnmi_pb2, gnmi_pb2_grpc

from drivers.grpc_tls import GrpcTls, aio_channel
from telemetry import metrics
from telemetry.events import Event, Source, normalise
from telemetry.subscriptions import Subscription, build_request, diff

log = logging.getLogger(__name__)
Sink = Callable[[list[Event]], None]
CHANNEL_OPTIONS = [("grpc.max_receive_message_length", 64 * 1024 * 1024), ("grpc.enable_retries", 0)]


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter: ``uniform(0, min(cap, base * 2**attempt))``, at least
    ``floor``."""

    base: float = 0.5
    cap: float = 30.0
    floor: float = 0.05

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        ceiling = min(self.cap, self.base * (2 ** min(attempt, 30)))
        return max(self.floor, (rng or random).uniform(0, ceiling))


@dataclass
class StreamStatus:
    """What one subscription's stream is doing."""

    connected: bool = False
    synced: bool = False
    subscribes: int = 0  # Subscribe RPCs opened so far (2+ means resubscribed)
    syncs: int = 0
    updates: int = 0
    bad: int = 0
    last_error: str = ""


class Collector:
    """Runs the wanted subscriptions; ``await apply(wanted)`` starts/stops streams to match.
    Streams dial plaintext, or TLS as ``tls`` says (``drivers.grpc_tls``)."""

    def __init__(
        self,
        sink: Sink,
        *,
        username: str = "admin",
        password: str = "admin",
        backoff: Backoff | None = None,
        max_updates: int = 10_000,
        tls: GrpcTls | None = None,
    ) -> None:
        self.sink = sink
        self.tls = tls
        self.metadata = (("username", username), ("password", password))
        self.backoff = backoff or Backoff()
        self.max_updates = max_updates
        self._subs: dict[tuple[str, str], Subscription] = {}
        self._tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._status: dict[tuple[str, str], StreamStatus] = {}
        self.received_updates = 0
        self.bad_updates = 0

    # -- the set of streams ------------------------------------------------------------------
    async def apply(self, wanted: Mapping[tuple[str, str], Subscription]) -> tuple[int, int]:
        """Stop streams no longer wanted (or changed), start new ones; returns (stopped, started)."""
        stop, start = diff(self._subs, wanted)
        for sub in stop:
            await self._cancel(sub.key)
        for sub in start:
            self._subs[sub.key] = sub
            self._status[sub.key] = StreamStatus()
            self._tasks[sub.key] = asyncio.create_task(self._run(sub), name=f"gnmi {sub.device} {sub.name}")
        metrics.SUBSCRIPTIONS.set(len(self._subs))
        if stop or start:
            log.info("collector: %d streams stopped, %d started", len(stop), len(start))
        return len(stop), len(start)

    async def _cancel(self, key: tuple[str, str]) -> None:
        self._subs.pop(key, None)
        status = self._status.pop(key, None)
        task = self._tasks.pop(key, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if status is not None and status.connected:
            metrics.STREAMS_UP.dec()

    async def close(self) -> None:
        """Stop every stream."""
        for key in list(self._tasks):
            await self._cancel(key)
        metrics.SUBSCRIPTIONS.set(0)

    def status(self) -> dict[tuple[str, str], StreamStatus]:
        return dict(self._status)

    @property
    def subscriptions(self) -> dict[tuple[str, str], Subscription]:
        return dict(self._subs)

    # -- one stream ----------------------------------------------------------------------------
    async def _run(self, sub: Subscription) -> None:
        status = self._status[sub.key]
        attempt = 0
        while True:
            try:
                await self._stream(sub, status)
                status.last_error = "stream ended"
                metrics.STREAM_ERRORS.labels("OK").inc()
            except grpc.aio.AioRpcError as exc:
                status.last_error = f"{exc.code().name}: {exc.details()}"
                metrics.STREAM_ERRORS.labels(exc.code().name).inc()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("%s %s: stream failed", sub.device, sub.name)
                status.last_error = f"{type(exc).__name__}: {exc}"
                metrics.STREAM_ERRORS.labels("client").inc()
            finally:
                if status.connected:
                    status.connected = False
                    metrics.STREAMS_UP.dec()
            if status.synced:
                attempt = 0
            status.synced = False
            delay = self.backoff.delay(attempt)
            attempt += 1
            log.info("%s %s: %s; resubscribing in %.2fs", sub.device, sub.name, status.last_error, delay)
            await asyncio.sleep(delay)

    async def _stream(self, sub: Subscription, status: StreamStatus) -> None:
        requests: asyncio.Queue[gnmi_pb2.SubscribeRequest | None] = asyncio.Queue()
        requests.put_nowait(build_request(sub))  # a POLL target answers it with the first round

        async def outgoing() -> AsyncIterator[gnmi_pb2.SubscribeRequest]:
            while (request := await requests.get()) is not None:
                yield request

        source = Source(sub.device, sub.name, tuple(p.path for p in sub.paths), sub.resource)
        poller: asyncio.Task[None] | None = None
        async with aio_channel(sub.address, self.tls, CHANNEL_OPTIONS) as channel:
            call = gnmi_pb2_grpc.gNMIStub(channel).Subscribe(outgoing(), metadata=self.metadata)
            status.subscribes += 1
            metrics.CONNECTS.inc()
            try:
                async for response in call:
                    if not status.connected:
                        status.connected = True
                        metrics.STREAMS_UP.inc()
                    kind = response.WhichOneof("response")
                    if kind == "update":
                        self._notification(response.update, source, status)
                    elif kind == "sync_response":
                        status.synced = True
                        status.syncs += 1
                        metrics.SYNC_RESPONSES.inc()
                        if sub.kind == "poll":
                            poller = asyncio.create_task(_poll_later(requests, sub.poll_interval_s))
            finally:
                if poller is not None:
                    poller.cancel()
                requests.put_nowait(None)  # ends the request stream (no task left behind)
                call.cancel()

    def _notification(
        self, notification: gnmi_pb2.Notification, source: Source, status: StreamStatus
    ) -> None:
        events, bad = normalise(notification, source, max_updates=self.max_updates)
        count = sum(event.updates for event in events)
        metrics.NOTIFICATIONS.inc()
        metrics.UPDATES.inc(count)
        status.updates += count
        self.received_updates += count
        for item in bad:
            metrics.BAD_UPDATES.labels(item.reason).inc(item.count)
            status.bad += item.count
            self.bad_updates += item.count
            log.debug(
                "%s %s: %d updates dropped: %s", source.device, source.subscription, item.count, item.reason
            )
        if events:
            self.sink(events)


async def _poll_later(requests: asyncio.Queue[gnmi_pb2.SubscribeRequest | None], interval: float) -> None:
    await asyncio.sleep(interval)
    requests.put_nowait(gnmi_pb2.SubscribeRequest(poll=gnmi_pb2.Poll()))
