"""gNOI ``gnoi.system.System`` Ping and Traceroute for one simulated device, answered from the
fleet's network model (``sims.network`` via the device's environment, the same model as the NETCONF
``<ping>`` RPC), on the device's gNMI gRPC server.

The model knows whether a VRF reaches an address and over which devices, not real packets: every
probe of a reachable destination is answered, each with a round-trip time of ``LINK_RTT_NS`` per
link on the path (``LOCAL_RTT_NS`` for a local address); an unreachable one answers no probe and
the summary says so. Probes are not paced by ``interval`` beyond ``MAX_INTERVAL_S`` and lost ones
do not wait out ``wait``. The model's reason goes back in the trailing metadata ``rom-sim-reason``
(a hint for people; a real device says nothing of the kind). Traceroute names each hop by device
(the model has no loopback addresses): ``name`` and ``address`` are the device name, the last hop's
``address`` the destination.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import AsyncIterator

import grpc

from gnoi_pb import system_pb2, system_pb2_grpc
from sims.device import SimDevice
from sims.errors import RpcError
from sims.network import Reachability

log = logging.getLogger(__name__)
LINK_RTT_NS = 100_000  # 0.1 ms round trip per link crossed
LOCAL_RTT_NS = 20_000
DEFAULT_COUNT = 5  # gNOI: a count of 0 is the vendor default, typically 5
MAX_COUNT = 100
MAX_INTERVAL_S = 1.0
DEFAULT_SIZE = 56
TTL = 64
REASON_KEY = "rom-sim-reason"
Trace = system_pb2.TracerouteResponse


def rtt_ns(result: Reachability) -> int:
    """The modelled round-trip time of a reachable destination."""
    return max(len(result.path) - 1, 0) * LINK_RTT_NS or LOCAL_RTT_NS


class _Refused(Exception):
    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class GnoiSystemServicer(system_pb2_grpc.SystemServicer):
    """System.Ping and System.Traceroute of one device (the other System RPCs: UNIMPLEMENTED)."""

    def __init__(self, device: SimDevice) -> None:
        self.device = device

    async def _admit(self, context: grpc.aio.ServicerContext, operation: str) -> None:
        metadata = {key: value for key, value in context.invocation_metadata() or ()}
        username, password = metadata.get("username"), metadata.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            raise _Refused(grpc.StatusCode.UNAUTHENTICATED, "username and password metadata required")
        if not self.device.check_password(username, password):
            raise _Refused(grpc.StatusCode.UNAUTHENTICATED, "invalid username or password")
        environment = self.device.model.environment
        if environment is None:
            raise _Refused(grpc.StatusCode.UNIMPLEMENTED, "the device is not attached to a network model")
        if not environment.accepts_connection():
            raise _Refused(grpc.StatusCode.UNAVAILABLE, f"{self.device.name} refuses connections")
        try:
            delay = environment.before_rpc(operation)
        except RpcError as error:
            raise _Refused(grpc.StatusCode.ABORTED, error.message) from None
        if delay > 0:
            await asyncio.sleep(delay)

    def _reach(self, network_instance: str, destination: str) -> Reachability:
        try:
            ipaddress.IPv4Address(destination.strip())
        except ValueError:
            raise _Refused(
                grpc.StatusCode.INVALID_ARGUMENT, f"destination {destination!r} is not an IPv4 address"
            ) from None
        environment = self.device.model.environment
        assert environment is not None
        return environment.ping(network_instance or "default", destination)

    async def Ping(
        self, request: system_pb2.PingRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[system_pb2.PingResponse]:
        try:
            await self._admit(context, "Ping")
            if request.count < 0 or request.count > MAX_COUNT:
                raise _Refused(grpc.StatusCode.INVALID_ARGUMENT, f"count must be 0..{MAX_COUNT}")
            result = self._reach(request.network_instance, request.destination)
        except _Refused as refused:
            await context.abort(refused.code, refused.message)
            return
        count = request.count or DEFAULT_COUNT
        interval = min(max(request.interval, 0) / 1e9, MAX_INTERVAL_S)
        rtt = rtt_ns(result)
        received = 0
        for sequence in range(1, count + 1):
            if sequence > 1 and interval > 0:
                await asyncio.sleep(interval)
            if result.success:
                received += 1
                yield system_pb2.PingResponse(
                    source=request.destination,
                    time=rtt,
                    bytes=(request.size or DEFAULT_SIZE) + 8,
                    sequence=sequence,
                    ttl=TTL - max(len(result.path) - 1, 0),
                )
        times = rtt if received else 0
        context.set_trailing_metadata(((REASON_KEY, result.reason),))
        yield system_pb2.PingResponse(
            source=request.destination,
            time=int(interval * 1e9) * (count - 1) + times * count,
            sent=count,
            received=received,
            min_time=times,
            avg_time=times,
            max_time=times,
            std_dev=0,
        )

    async def Traceroute(
        self, request: system_pb2.TracerouteRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[system_pb2.TracerouteResponse]:
        try:
            await self._admit(context, "Traceroute")
            result = self._reach(request.network_instance, request.destination)
        except _Refused as refused:
            await context.abort(refused.code, refused.message)
            return
        max_ttl = request.max_ttl if request.max_ttl > 0 else 30
        context.set_trailing_metadata(((REASON_KEY, result.reason),))
        yield Trace(destination_address=request.destination, hops=max_ttl, packet_size=DEFAULT_SIZE + 28)
        if not result.success:
            yield Trace(hop=1, address="*", state=Trace.State.NETWORK_UNREACHABLE)
            return
        hops = list(result.path[1:]) or [self.device.name]
        for number, device in enumerate(hops[:max_ttl], start=1):
            last = number == len(hops)
            yield Trace(
                hop=number,
                address=request.destination if last else device,
                name=device,
                rtt=number * LINK_RTT_NS if result.path[1:] else LOCAL_RTT_NS,
                state=Trace.State.DEFAULT,
            )
