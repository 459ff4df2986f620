"""A gNMI telemetry load generator: many simulated routers streaming interface counters, cheaply.

    python -m sims.gnmi.loadgen --devices 100 --interfaces 16 --counters 8 --interval 0.1 [--processes 2]

The device simulators (``python -m sims``) rebuild the state a subscription reaches per sample and top out at
a few thousand updates/s; this serves only STREAM SAMPLE (any path, any interval asked: the
``--interval`` given here wins) from notifications encoded once at start. Each device has its own
port and its own counters (OpenConfig ``/interfaces/interface[name=…]/state/counters/…``, uint
values that grow for ``VARIANTS`` samples, then start over); sending one only writes a fresh
timestamp in front of pre-encoded bytes. gRPC flow control applies: a client that falls behind
slows its streams down (a tick is skipped, not queued), so ``sent`` counts what was offered.

stdout: one JSON line ``{"devices": [{"name", "host", "gnmi_port"}, …]}`` once every port listens.
SIGUSR1 pauses every stream (connections stay open) and prints ``{"sent_updates", "sent_notifications"}``;
SIGTERM stops. With ``--processes N`` the devices are spread over N processes (one core each).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import grpc
from pygnmi.spec.v080 import gnmi_pb2

COUNTERS = (
    "in-octets", "out-octets", "in-pkts", "out-pkts", "in-unicast-pkts", "out-unicast-pkts",
    "in-multicast-pkts", "out-multicast-pkts", "in-broadcast-pkts", "out-broadcast-pkts",
    "in-discards", "out-discards", "in-errors", "out-errors", "in-fcs-errors", "carrier-transitions",
)  # fmt: skip
VARIANTS = 32  # distinct samples per device before the values repeat
SYNC = gnmi_pb2.SubscribeResponse(sync_response=True).SerializeToString()


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        bits, value = value & 0x7F, value >> 7
        if value:
            out.append(bits | 0x80)
        else:
            out.append(bits)
            return bytes(out)


def updates_body(device: int, interfaces: int, counters: int, variant: int) -> bytes:
    """A Notification without its timestamp (field 1): the updates of one sample of one device."""
    note = gnmi_pb2.Notification()
    for i in range(interfaces):
        for c, counter in enumerate(COUNTERS[:counters]):
            path = gnmi_pb2.Path(
                elem=[
                    gnmi_pb2.PathElem(name="interfaces"),
                    gnmi_pb2.PathElem(name="interface", key={"name": f"Ethernet{i + 1}"}),
                    gnmi_pb2.PathElem(name="state"),
                    gnmi_pb2.PathElem(name="counters"),
                    gnmi_pb2.PathElem(name=counter),
                ]
            )
            rate = 1 + (device * 7 + i * 3 + c) % 997
            value = (device + 1) * 1_000_000 + rate * 1000 * variant
            note.update.append(gnmi_pb2.Update(path=path, val=gnmi_pb2.TypedValue(uint_val=value)))
    return note.SerializeToString()


def response(body: bytes, timestamp_ns: int) -> bytes:
    """SubscribeResponse{update: Notification{timestamp, …body}} as bytes, without re-encoding body."""
    inner = b"\x08" + varint(timestamp_ns) + body
    return b"\x0a" + varint(len(inner)) + inner


def emit(line: dict[str, Any]) -> None:
    """One JSON line on stdout (the protocol with whoever started this)."""
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


@dataclass
class Counts:
    updates: int = 0
    notifications: int = 0


class LoadGen:
    """Every port is one device; every Subscribe on it streams that device's samples."""

    def __init__(self, first: int, devices: int, interfaces: int, counters: int, interval: float) -> None:
        self.first, self.devices, self.interval = first, devices, interval
        self.per_note = interfaces * counters
        self.bodies = {
            d: [updates_body(d, interfaces, counters, v) for v in range(VARIANTS)]
            for d in range(first, first + devices)
        }
        self.counts = Counts()
        self.running = asyncio.Event()
        self.running.set()

    def handler(self, device: int) -> grpc.GenericRpcHandler:
        async def subscribe(requests: AsyncIterator[Any], context: Any) -> AsyncIterator[bytes]:
            await anext(aiter(requests), None)
            bodies, variant = self.bodies[device], device % VARIANTS
            first = True
            next_at = time.monotonic()
            while True:
                await self.running.wait()
                yield response(bodies[variant % VARIANTS], time.time_ns())
                variant += 1
                self.counts.updates += self.per_note
                self.counts.notifications += 1
                if first:
                    yield SYNC
                    first = False
                next_at += self.interval
                delay = next_at - time.monotonic()
                if delay < 0:  # behind (flow control or CPU): skip ticks rather than burst
                    next_at = time.monotonic()
                    delay = 0
                await asyncio.sleep(delay)

        method = grpc.stream_stream_rpc_method_handler(
            subscribe,
            request_deserializer=gnmi_pb2.SubscribeRequest.FromString,
            response_serializer=lambda raw: raw,
        )
        return grpc.method_handlers_generic_handler("gnmi.gNMI", {"Subscribe": method})


async def serve(args: argparse.Namespace) -> None:
    gen = LoadGen(args.first, args.devices, args.interfaces, args.counters, args.interval)
    servers, devices = [], []
    for d in range(args.first, args.first + args.devices):
        server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
        server.add_generic_rpc_handlers((gen.handler(d),))
        port = server.add_insecure_port(f"{args.host}:0")
        await server.start()
        servers.append(server)
        devices.append({"name": f"{args.prefix}{d + 1}", "host": args.host, "gnmi_port": port})
    emit({"devices": devices})
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def pause() -> None:
        gen.running.clear()
        emit({"sent_updates": gen.counts.updates, "sent_notifications": gen.counts.notifications})

    loop.add_signal_handler(signal.SIGUSR1, pause)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    await asyncio.gather(*(server.stop(0) for server in servers))


def spread(args: argparse.Namespace) -> None:
    """Run ``--processes`` children, each with its share of the devices; relay signals and sum."""
    share, extra = divmod(args.devices, args.processes)
    children, first = [], args.first
    for n in range(args.processes):
        count = share + (1 if n < extra else 0)
        cmd = [
            sys.executable, "-m", "sims.gnmi.loadgen", "--processes", "1", "--first", str(first),
            "--devices", str(count), "--interfaces", str(args.interfaces), "--counters", str(args.counters),
            "--interval", str(args.interval), "--host", args.host, "--prefix", args.prefix,
        ]  # fmt: skip
        children.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True))
        first += count
    devices = []
    for child in children:
        assert child.stdout is not None
        devices += json.loads(child.stdout.readline())["devices"]
    emit({"devices": devices})

    def pause(*_: object) -> None:
        totals = {"sent_updates": 0, "sent_notifications": 0}
        for child in children:
            child.send_signal(signal.SIGUSR1)
        for child in children:
            assert child.stdout is not None
            for key, value in json.loads(child.stdout.readline()).items():
                totals[key] += value
        emit(totals)

    stopping: list[int] = []
    signal.signal(signal.SIGUSR1, pause)
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
    while not stopping and all(child.poll() is None for child in children):
        time.sleep(0.2)
    for child in children:
        child.terminate()
    for child in children:
        child.wait(30)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sims.gnmi.loadgen", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--interfaces", type=int, default=16, help="interfaces per device")
    parser.add_argument("--counters", type=int, default=8, choices=range(1, len(COUNTERS) + 1),
                        metavar=f"1..{len(COUNTERS)}", help="counters per interface")  # fmt: skip
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between samples of a device")
    parser.add_argument("--processes", type=int, default=1, help="spread the devices over N processes")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--prefix", default="r", help="device name prefix")
    parser.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.devices < 1 or args.interval <= 0 or args.processes < 1:
        parser.error("--devices and --processes must be >= 1 and --interval > 0")
    if args.processes > 1:
        spread(args)
    else:
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
