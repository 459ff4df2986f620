"""gNMI → Kafka: ROM's batched publisher beside a plain aiokafka per-message ``send()`` loop.

    .venv/bin/python bench/telemetry_kafka.py [--devices 100] [--sample 0.05] [--duration 15]
                                              [--write bench/RESULTS.md]

One Kafka broker (KRaft, loopback, ``lab.kafka_broker``) and one simulator fleet process
(``python -m sims``, routers, gNMI) serve both runs. Each run uses the same collector
(``telemetry.collector``, grpc.aio, one STREAM SAMPLE subscription per device) and differs only in
the Kafka stage: ROM's ``TelemetryPublisher`` (BatchBuilder + ``send_batch``) or the peer, which
awaits ``producer.send()`` once per event (same producer settings: idempotent, acks=all, gzip).
gnmic's Kafka output, the peer the issue names, cannot be built here (docs/tools.md).

Measured per run after the initial sync: updates acknowledged by Kafka per second, CPU-seconds of
this process (collector + publisher) per 100k updates, peak RSS of this process, and notification
timestamp → Kafka ack latency p50/p99. A second table feeds both Kafka stages pre-built events as
fast as they take them (no gNMI), to isolate the publishers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from aiokafka import AIOKafkaProducer  # noqa: E402

from bench._harness import fleet, replace_section, summary  # noqa: E402
from lab.kafka_broker import KafkaBroker  # noqa: E402
from telemetry.collector import Collector  # noqa: E402
from telemetry.events import Event  # noqa: E402
from telemetry.publish import TelemetryPublisher  # noqa: E402
from telemetry.subscriptions import DeviceInfo, wanted_subscriptions  # noqa: E402

SECTION = "## Telemetry (issue 7)"
NOTES = [
    "The simulators are the ceiling of the end-to-end rows (they rebuild the operational tree per",
    "sample; 100 routers x 32 counters / 0.5 s is the 6.4k updates/s offered, all of it delivered).",
    "The replay target does no work per message, so its rows are the collector + Kafka ceiling on",
    "this 2-core machine with the broker, the target and the collector sharing the cores. gnmic's",
    "Kafka output, the peer the issue names, cannot be built here (docs/tools.md); the peer is a plain",
    "aiokafka per-message `send()` loop with the same producer settings. Ratios: ROM / peer.",
    "",
]
COMMAND = (
    ".venv/bin/python bench/telemetry_kafka.py --devices 100 --sample 0.5 --duration 15 "
    "--write bench/RESULTS.md"
)


class Stage(Protocol):
    def offer(self, events: list[Event]) -> None: ...
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def acked_updates(self) -> int: ...


class Batched:
    def __init__(self, bootstrap: str, topic: str, on_latency: Callable[[float], None]) -> None:
        self.publisher = TelemetryPublisher(bootstrap, topic, buffer_events=2_000_000, on_latency=on_latency)
        self.offer = self.publisher.offer

    async def start(self) -> None:
        await self.publisher.start()

    async def stop(self) -> None:
        await self.publisher.stop(120)

    def acked_updates(self) -> int:
        return self.publisher.stats.published_updates


class PerMessage:
    """The peer: a plain aiokafka loop awaiting ``send()`` per event (as most exporters do)."""

    def __init__(self, bootstrap: str, topic: str, on_latency: Callable[[float], None]) -> None:
        self.topic, self.on_latency = topic, on_latency
        self.producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, compression_type="gzip",
            linger_ms=20, max_batch_size=512 * 1024,
        )  # fmt: skip
        self.queue: asyncio.Queue[Event] = asyncio.Queue()
        self.acked = 0
        self._task: asyncio.Task[None] | None = None

    def offer(self, events: list[Event]) -> None:
        for event in events:
            self.queue.put_nowait(event)

    async def start(self) -> None:
        await self.producer.start()
        self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            event = await self.queue.get()
            future = await self.producer.send(self.topic, event.to_json(), key=event.device.encode())
            future.add_done_callback(lambda f, e=event: self._done(f, e))

    def _done(self, future: asyncio.Future[Any], event: Event) -> None:
        if future.exception() is None:
            self.acked += event.updates
            self.on_latency((time.time_ns() - event.timestamp) / 1e9)

    async def stop(self) -> None:
        while not self.queue.empty():
            await asyncio.sleep(0.05)
        await self.producer.flush()
        if self._task is not None:
            self._task.cancel()
        await self.producer.stop()

    def acked_updates(self) -> int:
        return self.acked


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def gnmi_run(
    make: Callable[[], Stage], devices: list[DeviceInfo], sample: float, duration: float
) -> dict[str, Any]:
    stage = make()
    await stage.start()
    collector = Collector(stage.offer)
    await collector.apply(wanted_subscriptions(devices, sample_interval_s=sample))
    while not all(s.synced for s in collector.status().values()):
        await asyncio.sleep(0.05)
    received0, acked0, cpu0, t0, peak = (
        collector.received_updates,
        stage.acked_updates(),
        cpu_s(),
        time.monotonic(),
        0.0,
    )
    while time.monotonic() - t0 < duration:
        await asyncio.sleep(0.25)
        peak = max(peak, rss_mib())
    received, acked = collector.received_updates - received0, stage.acked_updates() - acked0
    cpu, elapsed = cpu_s() - cpu0, time.monotonic() - t0
    await collector.close()
    total_received = collector.received_updates
    await stage.stop()
    return {
        "received_per_s": received / elapsed,
        "acked_per_s": acked / elapsed,
        "cpu_per_100k": cpu / max(acked, 1) * 100_000,
        "peak_rss_mib": peak,
        "lost": total_received - stage.acked_updates(),
    }


async def kafka_only(make: Callable[[], Stage], template: list[Event], total_events: int) -> dict[str, Any]:
    stage = make()
    await stage.start()
    t0, cpu0, sent = time.monotonic(), cpu_s(), 0
    while sent < total_events:
        stamp = time.time_ns()
        stage.offer([Event(e.name, stamp, e.device, e.resource, e.tags, e.values) for e in template])
        sent += len(template)
        await asyncio.sleep(0)
    await stage.stop()
    elapsed, cpu = time.monotonic() - t0, cpu_s() - cpu0
    updates = stage.acked_updates()
    return {"updates_per_s": updates / elapsed, "cpu_per_100k": cpu / max(updates, 1) * 100_000}


IMPLS: tuple[tuple[str, Any], ...] = (
    ("ROM batched publisher", Batched),
    ("peer: per-message send()", PerMessage),
)


def both(
    bootstrap: str, prefix: str, devices: list[DeviceInfo], sample: float, duration: float
) -> dict[str, Any]:
    """One gNMI run per Kafka stage on the same targets; results and latency samples by name."""
    results: dict[str, Any] = {}
    for name, kind in IMPLS:
        samples: list[float] = []
        topic = f"{prefix}.{len(results)}"

        def make(kind: Any = kind, topic: str = topic, samples: list[float] = samples) -> Stage:
            return kind(bootstrap, topic, samples.append)

        results[name] = asyncio.run(gnmi_run(make, devices, sample, duration))
        results[name]["latency"] = summary(samples) if samples else {"p50": float("nan"), "p99": float("nan")}
        print(prefix, name, results[name], flush=True)
    return results


@contextlib.contextmanager
def replay_target(updates: int) -> Iterator[int]:
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "bench" / "telemetry_replay.py"), "--updates", str(updates)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        yield int(proc.stdout.readline())
    finally:
        proc.terminate()
        proc.wait(30)


def table(title: str, results: dict[str, Any], with_latency: bool) -> list[str]:
    rom, peer = (results[name] for name, _kind in IMPLS)
    rows = [f"| {title} | ROM batched | peer per-message `send()` | ROM / peer |", "|---|---:|---:|---:|"]
    for label, key, fmt in (
        ("updates/s received from gNMI", "received_per_s", "{:,.0f}"),
        ("updates/s acknowledged by Kafka", "acked_per_s", "{:,.0f}"),
        ("updates lost (received - acknowledged, after flush)", "lost", "{:,.0f}"),
        ("CPU-seconds per 100k updates (collector + publisher)", "cpu_per_100k", "{:.2f}"),
        ("peak RSS of the collector process (MiB)", "peak_rss_mib", "{:.0f}"),
    ):
        ratio = f"{rom[key] / peer[key]:.2f}" if peer[key] else "-"
        rows.append(f"| {label} | {fmt.format(rom[key])} | {fmt.format(peer[key])} | {ratio} |")
    if with_latency:
        for q in ("p50", "p99"):
            a, b = rom["latency"][q] * 1000, peer["latency"][q] * 1000
            rows.append(f"| notification → Kafka ack latency {q} (ms) | {a:.1f} | {b:.1f} | {a / b:.2f} |")
    return [*rows, ""]


def run(args: argparse.Namespace) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="rom-bench-kafka-") as tmp:
        broker = KafkaBroker(Path(tmp) / "kafka")
        broker.start()
        try:
            with fleet(args.devices) as endpoints:
                devices = [DeviceInfo(e["name"], e["platform"], e["host"], e["gnmi_port"]) for e in endpoints]
                sims = both(broker.bootstrap, "bench.sims", devices, args.sample, args.duration)
            with replay_target(args.replay_updates) as port:
                streams = [
                    DeviceInfo(f"x{i}", "rom-router", "127.0.0.1", port) for i in range(args.replay_streams)
                ]
                ceiling = both(broker.bootstrap, "bench.replay", streams, 1.0, args.duration)
            template = [
                Event("base", 0, f"r{i % 100}", None, {"interface_name": f"Ethernet{i % 4}"},
                      {f"/interfaces/interface/state/counters/c{j}": str(i * j) for j in range(8)})
                for i in range(100)
            ]  # fmt: skip
            only: dict[str, dict[str, Any]] = {}
            for name, kind in IMPLS:
                topic = f"bench.only.{len(only)}"

                def make_only(kind: Any = kind, topic: str = topic) -> Stage:
                    return kind(broker.bootstrap, topic, lambda _s: None)

                only[name] = asyncio.run(kafka_only(make_only, template, args.events))
                print(name, only[name], flush=True)
        finally:
            broker.stop()
    rows = table(f"{args.devices} simulated routers, SAMPLE {args.sample:g} s (end to end)", sims, True)
    rows += table(
        f"replay target, {args.replay_streams} streams x {args.replay_updates} updates (ceiling)",
        ceiling,
        False,
    )
    rows.append(
        "| Kafka stage only (pre-built events, 8 updates each) | ROM batched | peer `send()` | ROM / peer |"
    )
    rows.append("|---|---:|---:|---:|")
    a, b = (only[n]["updates_per_s"] for n, _k in IMPLS)
    rows.append(f"| updates/s acknowledged | {a:,.0f} | {b:,.0f} | {a / b:.2f} |")
    a, b = (only[n]["cpu_per_100k"] for n, _k in IMPLS)
    rows.append(f"| CPU-seconds per 100k updates | {a:.2f} | {b:.2f} | {a / b:.2f} |")
    return rows


def write_section(path: Path, args: argparse.Namespace, rows: list[str]) -> None:
    """Replace (or append) this benchmark's own section of RESULTS.md, leaving the others alone."""
    body = "\n".join(
        [
            SECTION,
            "",
            f"Measured {time.strftime('%Y-%m-%d')} on this 2-vCPU VM (CPython {sys.version.split()[0]}, "
            f"Kafka from `lab.kafka_broker`), {args.devices} simulated routers, SAMPLE every {args.sample} s,"
            " "
            f"{args.duration:g} s per run.",
            "",
            "```",
            COMMAND,
            "```",
            "",
            *rows,
            "",
            *NOTES,
        ]
    )
    replace_section(path, SECTION, body)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--sample", type=float, default=0.5, help="SAMPLE interval of the simulators (s)")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds measured per run")
    parser.add_argument("--events", type=int, default=200_000, help="events per Kafka-only run")
    parser.add_argument("--replay-streams", type=int, default=8, help="streams to the replay target")
    parser.add_argument("--replay-updates", type=int, default=100, help="updates per replayed notification")
    parser.add_argument("--write", type=Path, help="update this RESULTS.md section")
    args = parser.parse_args()
    rows = run(args)
    print("\n".join(rows))
    if args.write:
        write_section(args.write, args, rows)


if __name__ == "__main__":
    main()
