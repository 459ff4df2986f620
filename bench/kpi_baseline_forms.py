"""CPU of one point-in-time KPI read (a `window: 0` baseline) in three gNMI forms, client and simulator.

    .venv/bin/python -m bench.kpi_baseline_forms [--calls 300] [--sims CHECKOUT]

Forms: STREAM SAMPLE cancelled after the initial sync (the baseline before session 10), Subscribe
ONCE (the target ends the stream after its sync) and a unary Get, each a bare RPC reading one
device's oper-status on one channel; then `telemetry.baseline.check_baselines` itself at window 0
(its shared channels and loop, as the order executor calls it), with the Get (`snapshot`) and with
the Subscribe. Client CPU is this process's; simulator CPU is the fleet process's (from /proc),
both per call.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import grpc
from pygnmi.spec.v080 import gnmi_pb2, gnmi_pb2_grpc

from drivers.base import DeviceTarget
from lab.support import REPO
from telemetry.baseline import KpiCheck, check_baselines
from telemetry.subscriptions import PathSpec, Subscription, build_request, to_path

PATH = "interfaces/interface[name=Ethernet1]/state/oper-status"
METADATA = (("username", "admin"), ("password", "admin"))


def cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def request(mode: int) -> gnmi_pb2.SubscribeRequest:
    req = build_request(Subscription("r1", "baseline", "", (PathSpec(PATH, "sample", 0.05),)))
    req.subscribe.mode = mode  # type: ignore[assignment]
    return req


async def stream_to_sync(stub: gnmi_pb2_grpc.gNMIStub) -> None:
    call = stub.Subscribe(iter([request(gnmi_pb2.SubscriptionList.Mode.STREAM)]), metadata=METADATA)
    async for response in call:
        if response.sync_response:
            break
    call.cancel()


async def once(stub: gnmi_pb2_grpc.gNMIStub) -> None:
    call = stub.Subscribe(iter([request(gnmi_pb2.SubscriptionList.Mode.ONCE)]), metadata=METADATA)
    async for _response in call:
        pass


async def get(stub: gnmi_pb2_grpc.gNMIStub) -> None:
    await stub.Get(
        gnmi_pb2.GetRequest(path=[to_path(PATH)], encoding=gnmi_pb2.Encoding.JSON_IETF), metadata=METADATA
    )


FORMS: dict[str, Callable[[gnmi_pb2_grpc.gNMIStub], Awaitable[None]]] = {
    "stream-to-sync": stream_to_sync,
    "once": once,
    "get": get,
}


async def measure(address: str, pid: int, calls: int) -> dict[str, dict[str, float]]:
    figures: dict[str, dict[str, float]] = {}
    async with grpc.aio.insecure_channel(address) as channel:
        stub = gnmi_pb2_grpc.gNMIStub(channel)
        for form in FORMS.values():
            for _ in range(20):  # warm up
                await form(stub)
        for _ in range(2):  # interleaved: two passes of every form
            for name, form in FORMS.items():
                client, sim = time.process_time(), cpu_of(pid)
                for _ in range(calls):
                    await form(stub)
                client, sim = time.process_time() - client, cpu_of(pid) - sim
                entry = figures.setdefault(name, {"client_ms": 0.0, "sims_ms": 0.0})
                entry["client_ms"] += client * 1000 / calls / 2
                entry["sims_ms"] += sim * 1000 / calls / 2
    return figures


def measure_baselines(device: dict[str, object], pid: int, calls: int) -> dict[str, dict[str, float]]:
    target = DeviceTarget(
        "r1", str(device["host"]), 0, "sim", "admin", "admin", gnmi_port=int(str(device["gnmi_port"]))
    )
    checks = [KpiCheck("oper-up", PATH, "r1", equals="UP")]
    figures: dict[str, dict[str, float]] = {}
    forms = {"baseline-subscribe": False, "baseline-get": True}
    for snapshot in forms.values():
        for _ in range(20):
            assert check_baselines([target], checks, 0, snapshot=snapshot) == []
    for _ in range(2):
        for name, snapshot in forms.items():
            client, sim = time.process_time(), cpu_of(pid)
            for _ in range(calls):
                check_baselines([target], checks, 0, snapshot=snapshot)
            client, sim = time.process_time() - client, cpu_of(pid) - sim
            entry = figures.setdefault(name, {"client_ms": 0.0, "sims_ms": 0.0})
            entry["client_ms"] += client * 1000 / calls / 2
            entry["sims_ms"] += sim * 1000 / calls / 2
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--sims", type=Path, default=REPO, help="the checkout whose simulators run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rom-bench-kpi-") as state:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sims", "--count", "1", "--state-dir", state, "--log-level", "WARNING"],
            cwd=args.sims,
            stdout=subprocess.DEVNULL,
        )
        try:
            endpoints = Path(state) / "endpoints.json"
            while not endpoints.exists():
                if proc.poll() is not None:
                    raise SystemExit("simulator fleet did not start")
                time.sleep(0.05)
            device = json.loads(endpoints.read_text())["devices"][0]
            address = f"{device['host']}:{device['gnmi_port']}"
            figures = asyncio.run(measure(address, proc.pid, args.calls))
            figures |= measure_baselines(device, proc.pid, args.calls)
        finally:
            proc.terminate()
            proc.wait(30)
    print(f"load average {os.getloadavg()[0]:.2f}; per call, {args.calls} x 2 calls per form")
    for name, entry in figures.items():
        print(f"  {name:15} client {entry['client_ms']:.2f} ms  sims {entry['sims_ms']:.2f} ms")


if __name__ == "__main__":
    main()
