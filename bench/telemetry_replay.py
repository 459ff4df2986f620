"""A replay gNMI target for the throughput ceiling of ``bench/telemetry_kafka.py``.

    .venv/bin/python bench/telemetry_replay.py --port 0 --updates 100   # prints the port

Every Subscribe gets the sync_response and then the same pre-built notification (``--updates``
interface-counter updates over 4 interfaces, JSON_IETF) again and again, as fast as gRPC flow
control lets it, each with a fresh timestamp. The Python simulators build their operational tree
per sample and top out far below what a collector can take; this target does no work per message,
so the collector and the Kafka stage are what gets measured.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import grpc
from pygnmi.spec.v080 import gnmi_pb2, gnmi_pb2_grpc


def notification(updates: int) -> gnmi_pb2.SubscribeResponse:
    note = gnmi_pb2.Notification()
    for i in range(updates):
        path = gnmi_pb2.Path(
            elem=[
                gnmi_pb2.PathElem(name="interfaces"),
                gnmi_pb2.PathElem(name="interface", key={"name": f"Ethernet{i % 4 + 1}"}),
                gnmi_pb2.PathElem(name="state"),
                gnmi_pb2.PathElem(name="counters"),
                gnmi_pb2.PathElem(name=f"c{i // 4}"),
            ]
        )
        note.update.append(gnmi_pb2.Update(path=path, val=gnmi_pb2.TypedValue(json_ietf_val=b'"123456"')))
    return gnmi_pb2.SubscribeResponse(update=note)


class Replay(gnmi_pb2_grpc.gNMIServicer):
    def __init__(self, updates: int) -> None:
        self.template = notification(updates)

    async def Subscribe(
        self, request_iterator: Any, context: Any
    ) -> AsyncIterator[gnmi_pb2.SubscribeResponse]:
        await anext(request_iterator, None)
        yield gnmi_pb2.SubscribeResponse(sync_response=True)
        response = gnmi_pb2.SubscribeResponse()
        response.CopyFrom(self.template)
        while True:
            response.update.timestamp = time.time_ns()
            yield response


async def serve(port: int, updates: int) -> None:
    server = grpc.aio.server()
    gnmi_pb2_grpc.add_gNMIServicer_to_server(Replay(updates), server)
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    print(bound, flush=True)
    await server.wait_for_termination()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--updates", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.updates))


if __name__ == "__main__":
    main()
