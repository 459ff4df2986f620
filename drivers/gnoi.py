"""A gNOI client for ``gnoi.system.System`` Ping and Traceroute, over the gNMI endpoint's channel.

The channel comes from ``drivers.grpc_tls`` (plaintext, TLS against a CA file, or mutual TLS) with
the target's gNMI port and username/password metadata, as for gNMI; gRPC failures map to ROM errors
as in ``drivers._gnmi_session``. Messages and stubs: ``gnoi_pb`` (scripts/gen_gnoi.sh).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc

from drivers._gnmi_session import CHANNEL_OPTIONS, mapped_errors
from drivers.base import DeviceTarget
from drivers.errors import CapabilityMissing
from drivers.grpc_tls import GrpcTls, address, channel
from gnoi_pb import system_pb2, system_pb2_grpc

NS_PER_MS = 1_000_000
SHARED_CHANNELS_MAX = 1024
REASON_KEY = "rom-sim-reason"  # a hint the simulators add to their trailing metadata


@dataclass(frozen=True)
class PingResult:
    """What a ping from ``source`` to ``destination`` in ``network_instance`` found; times in ms."""

    source: str
    destination: str
    network_instance: str
    sent: int
    received: int
    min_ms: float = 0.0
    avg_ms: float = 0.0
    max_ms: float = 0.0
    replies: tuple[float, ...] = ()  # each answered probe's round-trip time
    reason: str = ""  # what the device (or the simulator) said about the outcome, when it did
    path: tuple[str, ...] = ()  # traceroute hops, when one was run
    via: str = "gnoi"

    @property
    def loss_percent(self) -> float:
        return 100.0 if self.sent <= 0 else round(100.0 * (self.sent - self.received) / self.sent, 1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "destination": self.destination,
            "networkInstance": self.network_instance,
            "sent": self.sent,
            "received": self.received,
            "lossPercent": self.loss_percent,
            "minRttMs": self.min_ms,
            "avgRttMs": self.avg_ms,
            "maxRttMs": self.max_ms,
            "via": self.via,
            **({"reason": self.reason} if self.reason else {}),
            **({"path": list(self.path)} if self.path else {}),
        }


@dataclass(frozen=True)
class TraceHop:
    hop: int
    address: str
    name: str = ""
    rtt_ms: float = 0.0
    state: str = "DEFAULT"


@dataclass
class _Call:
    responses: list[Any] = field(default_factory=list)
    trailing: dict[str, str] = field(default_factory=dict)


class GnoiClient:
    """One channel to a device's gNOI System service: ``with GnoiClient(target) as c: c.ping(...)``."""

    def __init__(self, target: DeviceTarget, shared: bool = False) -> None:
        """`shared`: use the process's channel to this endpoint (`shared_channel`), left open."""
        if target.gnmi_port is None:
            raise CapabilityMissing(f"{target.name}: no gNMI/gNOI port in the inventory for this device")
        self.target = target
        self.metadata = (("username", target.username), ("password", target.password))
        self.shared = shared
        self.channel: grpc.Channel = (
            shared_channel(target)
            if shared
            else channel(address(target.host, target.gnmi_port), GrpcTls.of(target), CHANNEL_OPTIONS)
        )
        self.stub = system_pb2_grpc.SystemStub(self.channel)

    def __enter__(self) -> GnoiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if not self.shared:
            self.channel.close()

    def _stream(self, rpc: str, request: Any, timeout: float | None) -> _Call:
        return self._start(rpc, request, timeout)()

    def _start(self, rpc: str, request: Any, timeout: float | None) -> Callable[[], _Call]:
        """Send the request now; the returned function waits for the whole answer. gRPC carries a
        started call on its own, so calls started one after the other run at the same time."""
        doing = f"gNOI System.{rpc}"
        with mapped_errors(self.target.name, doing):
            call = getattr(self.stub, rpc)(
                request, metadata=self.metadata, timeout=timeout or self.target.timeout
            )

        def answer() -> _Call:
            out = _Call()
            with mapped_errors(self.target.name, doing):
                out.responses = list(call)
                out.trailing = {k: v for k, v in call.trailing_metadata() or () if isinstance(v, str)}
            return out

        return answer

    def ping(
        self,
        destination: str,
        network_instance: str = "",
        count: int = 3,
        *,
        source: str = "",
        interval_ms: float = 0.0,
        wait_ms: float = 0.0,
        timeout: float | None = None,
    ) -> PingResult:
        return self.start_ping(
            destination,
            network_instance,
            count,
            source=source,
            interval_ms=interval_ms,
            wait_ms=wait_ms,
            timeout=timeout,
        )()

    def start_ping(
        self,
        destination: str,
        network_instance: str = "",
        count: int = 3,
        *,
        source: str = "",
        interval_ms: float = 0.0,
        wait_ms: float = 0.0,
        timeout: float | None = None,
    ) -> Callable[[], PingResult]:
        """`ping`, sent now; the returned function waits for its result (no thread per ping)."""
        request = system_pb2.PingRequest(
            destination=destination,
            source=source,
            count=count,
            interval=int(interval_ms * NS_PER_MS),
            wait=int(wait_ms * NS_PER_MS),
            network_instance=network_instance,
        )
        answer = self._start("Ping", request, timeout)

        def result() -> PingResult:
            call = answer()
            return ping_result(self.target.name, request, call.responses, call.trailing.get(REASON_KEY, ""))

        return result

    def traceroute(
        self, destination: str, network_instance: str = "", max_ttl: int = 30, timeout: float | None = None
    ) -> list[TraceHop]:
        request = system_pb2.TracerouteRequest(
            destination=destination, max_ttl=max_ttl, network_instance=network_instance
        )
        call = self._stream("Traceroute", request, timeout)
        return trace_hops(call.responses)


def ping_result(
    device: str, request: system_pb2.PingRequest, responses: list[system_pb2.PingResponse], reason: str = ""
) -> PingResult:
    """Fold a Ping stream into a result: the summary (``sent`` non-zero) when the device sent one,
    else the per-probe replies counted against the requested count."""
    replies = tuple(r.time / NS_PER_MS for r in responses if r.sent == 0 and r.bytes > 0)
    summary = next((r for r in responses if r.sent > 0), None)
    if summary is not None:
        sent, received = summary.sent, summary.received
        low, avg, high = (
            summary.min_time / NS_PER_MS,
            summary.avg_time / NS_PER_MS,
            summary.max_time / NS_PER_MS,
        )
    else:
        sent, received = request.count or len(replies), len(replies)
        low, high = (min(replies), max(replies)) if replies else (0.0, 0.0)
        avg = sum(replies) / len(replies) if replies else 0.0
    return PingResult(
        device, request.destination, request.network_instance, sent, received, low, avg, high, replies, reason
    )


def trace_hops(responses: list[system_pb2.TracerouteResponse]) -> list[TraceHop]:
    """The hop responses of a Traceroute stream (the optional first, descriptive one left out)."""
    state = system_pb2.TracerouteResponse.State
    return [
        TraceHop(r.hop, r.address, r.name, r.rtt / NS_PER_MS, state.Name(r.state))
        for r in responses
        if r.hop > 0
    ]


_CHANNELS: dict[tuple[Any, ...], grpc.Channel] = {}
_CHANNELS_LOCK = threading.Lock()


def _stamp(path: str | None) -> int | None:
    try:
        return os.stat(path).st_mtime_ns if path else None
    except OSError:
        return None


def shared_channel(target: DeviceTarget) -> grpc.Channel:
    """One channel per endpoint and TLS settings (and their files' versions) for the whole process:
    each probe of an order no longer pays a TCP + HTTP/2 (+ TLS) set-up; gRPC reconnects a channel
    whose device went away. Credentials travel as per-call metadata, so they are not part of it."""
    assert target.gnmi_port is not None
    tls = GrpcTls.of(target)
    files = (tls.ca, tls.cert, tls.key) if tls else ()
    key = (address(target.host, target.gnmi_port), tls, tuple(_stamp(f) for f in files))
    with _CHANNELS_LOCK:
        found = _CHANNELS.get(key)
        if found is None:
            if len(_CHANNELS) >= SHARED_CHANNELS_MAX:
                for old in _CHANNELS.values():
                    old.close()
                _CHANNELS.clear()
            found = _CHANNELS[key] = channel(key[0], tls, CHANNEL_OPTIONS)
        return found


@contextmanager
def gnoi_client(target: DeviceTarget) -> Iterator[GnoiClient]:
    """A client on the process's shared channel to `target` (see `shared_channel`)."""
    client = GnoiClient(target, shared=True)
    try:
        yield client
    finally:
        client.close()
