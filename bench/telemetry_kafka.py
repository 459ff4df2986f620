"""gNMI → Kafka side by side: ROM's collector + publisher, then gnmic's Kafka output, in one run.

    .venv/bin/python bench/telemetry_kafka.py [--devices 20,100] [--interfaces 16] [--counters 8]
        [--interval 0.1] [--fleet-processes 2] [--duration 20] [--write bench/RESULTS.md]

One Kafka broker (KRaft, loopback, ``lab.kafka_broker``); per run a fresh fleet of the same
devices (``sims.gnmi.loadgen``: pre-encoded interface counters, one port per device, spread over
``--fleet-processes``) and a fresh topic (4 partitions, ``message.timestamp.type=LogAppendTime``).
Each collector runs in its own process with one STREAM SAMPLE subscription per device to
``/interfaces/interface/state/counters``: ROM (``telemetry.collector`` + ``telemetry.publish``,
idempotent, acks=all, gzip) and gnmic v0.47.0 (``outputs: type: kafka``, format ``event``,
required-acks wait-for-all, gzip, its defaults otherwise). After ``--warmup`` s the window of
``--duration`` s is measured; then the fleet pauses, the topic is drained and the collector stops.

Everything is counted on the topic, not as reported: updates/s = updates in records the broker
appended inside the window / window; loss = updates the fleet sent - updates on the topic;
latency = broker append time - the notification's timestamp, per event. CPU-seconds and peak RSS
(VmHWM) are the collector process's, from /proc.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from aiokafka import AIOKafkaConsumer, TopicPartition  # noqa: E402
from aiokafka.admin import AIOKafkaAdminClient, NewTopic  # noqa: E402

from bench._harness import replace_section, summary  # noqa: E402
from lab.kafka_broker import KafkaBroker  # noqa: E402

SECTION = "## Telemetry: ROM beside gnmic (issue 15)"
PARTITIONS = 4
CLK_TCK = os.sysconf("SC_CLK_TCK")
PATH = "interfaces/interface/state/counters"
LINGER_MS = [5]  # ROM publisher's linger (--linger-ms), set in main


# -- the fleet --------------------------------------------------------------------------------
@contextmanager
def loadgen(args: argparse.Namespace) -> Iterator[tuple[list[dict[str, Any]], subprocess.Popen[str]]]:
    proc = subprocess.Popen(
        [
            sys.executable, "-W", "ignore", "-m", "sims.gnmi.loadgen", "--devices", str(args.devices),
            "--interfaces", str(args.interfaces), "--counters", str(args.counters),
            "--interval", str(args.interval), "--processes", str(args.fleet_processes),
        ],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        yield json.loads(proc.stdout.readline())["devices"], proc
    finally:
        proc.terminate()
        proc.wait(30)


def pause(fleet: subprocess.Popen[str]) -> int:
    """Stop the fleet's streams; the updates it sent in all."""
    assert fleet.stdout is not None
    fleet.send_signal(signal.SIGUSR1)
    return int(json.loads(fleet.stdout.readline())["sent_updates"])


# -- the collectors ---------------------------------------------------------------------------
def rom_cmd(
    bootstrap: str, topic: str, devices: list[dict[str, Any]], interval: float, tmp: Path
) -> list[str]:
    spec = tmp / "rom-devices.json"
    spec.write_text(json.dumps(devices))
    return [
        sys.executable, "-W", "ignore", str(Path(__file__)), "--rom-child", "--bootstrap", bootstrap,
        "--topic", topic, "--devices-file", str(spec), "--interval", str(interval),
        "--linger-ms", str(LINGER_MS[0]),
    ]  # fmt: skip


def gnmic_cmd(
    bootstrap: str, topic: str, devices: list[dict[str, Any]], interval: float, tmp: Path
) -> list[str]:
    config = {
        "username": "admin", "password": "admin", "insecure": True, "log": False,
        "targets": {d["name"]: {"address": f"{d['host']}:{d['gnmi_port']}"} for d in devices},
        "subscriptions": {
            "counters": {
                "paths": [f"/{PATH}"], "mode": "stream", "stream-mode": "sample",
                "sample-interval": f"{int(interval * 1000)}ms",
            }
        },
        "outputs": {
            "kafka": {
                "type": "kafka", "address": bootstrap, "topic": topic, "format": "event",
                "required-acks": "wait-for-all", "compression-codec": "gzip", "insert-key": True,
            }
        },
    }  # fmt: skip
    path = tmp / "gnmic.json"
    path.write_text(json.dumps(config))
    gnmic = subprocess.run(
        ["bash", str(REPO / "scripts/tools/gnmic.sh"), "--wait", "1200"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return [gnmic, "--config", str(path), "subscribe"]


async def rom_child(args: argparse.Namespace) -> None:
    """The ROM side in its own process: until SIGTERM, then flush and print its counters."""
    from telemetry.collector import Collector
    from telemetry.publish import TelemetryPublisher
    from telemetry.subscriptions import PathSpec, Subscription

    devices = json.loads(Path(args.devices_file).read_text())
    publisher = TelemetryPublisher(
        args.bootstrap, args.topic, buffer_events=2_000_000, linger_ms=args.linger_ms
    )
    await publisher.start()
    collector = Collector(publisher.offer)
    spec = (PathSpec(PATH, "sample", args.interval),)
    subs = [Subscription(d["name"], "counters", f"{d['host']}:{d['gnmi_port']}", spec) for d in devices]
    await collector.apply({s.key: s for s in subs})
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await collector.close()
    await publisher.stop(120)
    stats = publisher.stats
    sys.stdout.write(
        json.dumps({"received": collector.received_updates, "dropped": stats.dropped_updates}) + "\n"
    )


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


# -- the topic --------------------------------------------------------------------------------
async def create_topic(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(topic, PARTITIONS, 1, topic_configs={"message.timestamp.type": "LogAppendTime"})]
        )
    finally:
        await admin.close()


async def read_topic(bootstrap: str, topic: str) -> list[tuple[int, int, int]]:
    """(append ms, notification ns, updates) of every event on the topic."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_bytes=64 << 20
    )
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        events: list[tuple[int, int, int]] = []
        while [p for p in parts if await consumer.position(p) < ends[p]]:
            batches = await consumer.getmany(timeout_ms=1000, max_records=50_000)
            for records in batches.values():
                for record in records:
                    assert record.value is not None
                    body = json.loads(record.value)
                    for event in body if isinstance(body, list) else [body]:
                        updates = len(event.get("values") or {}) + len(event.get("deletes") or [])
                        events.append((record.timestamp, int(event["timestamp"]), updates))
        return events
    finally:
        await consumer.stop()


async def first_records(bootstrap: str, topic: str, limit_s: float = 180.0) -> None:
    """Wait until the collector has put something on the topic (it has subscribed everywhere)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        deadline = time.monotonic() + limit_s
        while not any((await consumer.end_offsets(parts)).values()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing reached {topic} in {limit_s:g} s")
            await asyncio.sleep(0.25)
    finally:
        await consumer.stop()


async def drained(bootstrap: str, topic: str, quiet_s: float = 2.0, limit_s: float = 120.0) -> None:
    """Wait until the topic's end offsets stop moving for ``quiet_s``."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        last, since, deadline = None, time.monotonic(), time.monotonic() + limit_s
        while time.monotonic() < deadline:
            ends = await consumer.end_offsets(parts)
            if ends != last:
                last, since = ends, time.monotonic()
            elif time.monotonic() - since >= quiet_s:
                return
            await asyncio.sleep(0.25)
    finally:
        await consumer.stop()


# -- one run ---------------------------------------------------------------------------------
def one_run(name: str, make_cmd: Any, bootstrap: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    topic = f"bench.{name}.{int(time.time())}"
    asyncio.run(create_topic(bootstrap, topic))
    with loadgen(args) as (devices, fleet):
        cmd = make_cmd(bootstrap, topic, devices, args.interval, tmp)
        log = (tmp / f"{name}.log").open("w")
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            asyncio.run(first_records(bootstrap, topic))
            time.sleep(args.warmup)
            start_ms, cpu0 = time.time() * 1000, cpu_s(proc.pid)
            time.sleep(args.duration)
            end_ms, cpu1 = time.time() * 1000, cpu_s(proc.pid)
            rss = peak_rss_mib(proc.pid)
            sent = pause(fleet)
            asyncio.run(drained(bootstrap, topic))
        finally:
            proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=180)
            log.close()
    events = asyncio.run(read_topic(bootstrap, topic))
    window = [(ms, ns, n) for ms, ns, n in events if start_ms <= ms < end_ms]
    in_window = sum(n for _ms, _ns, n in window)
    on_topic = sum(n for _ms, _ns, n in events)
    latency = summary([max(0.0, ms / 1000 - ns / 1e9) for ms, ns, _n in window] or [float("nan")])
    result = {
        "updates_per_s": in_window / ((end_ms - start_ms) / 1000),
        "sent": sent,
        "on_topic": on_topic,
        "lost": sent - on_topic,
        "cpu_per_100k": (cpu1 - cpu0) / max(in_window, 1) * 100_000,
        "peak_rss_mib": rss,
        "p50_ms": latency["p50"] * 1000,
        "p99_ms": latency["p99"] * 1000,
        "child": out.strip(),
    }
    print(name, json.dumps(result), flush=True)
    if not on_topic:
        print((tmp / f"{name}.log").read_text()[-3000:], flush=True)
    return result


ROWS = (
    ("updates/s delivered to the topic (window)", "updates_per_s", "{:,.0f}"),
    ("updates sent by the fleet", "sent", "{:,.0f}"),
    ("updates on the topic", "on_topic", "{:,.0f}"),
    ("updates lost (sent - on the topic)", "lost", "{:,.0f}"),
    ("CPU-seconds per 100k updates (collector process)", "cpu_per_100k", "{:.2f}"),
    ("peak RSS of the collector process (MiB)", "peak_rss_mib", "{:.0f}"),
    ("notification → Kafka append latency p50 (ms)", "p50_ms", "{:.1f}"),
    ("notification → Kafka append latency p99 (ms)", "p99_ms", "{:.1f}"),
)


def table(args: argparse.Namespace, rom: dict[str, Any], gnmic: dict[str, Any]) -> list[str]:
    offered = args.devices * args.interfaces * args.counters / args.interval
    rows = [
        f"| {args.devices} devices x {args.interfaces * args.counters} counters every {args.interval:g} s "
        f"({offered:,.0f} updates/s offered) | ROM | gnmic | ROM / gnmic |",
        "|---|---:|---:|---:|",
    ]
    for label, key, fmt in ROWS:
        a, b = rom[key], gnmic[key]
        ratio = f"{a / b:.2f}" if b else "-"
        rows.append(f"| {label} | {fmt.format(a)} | {fmt.format(b)} | {ratio} |")
    return [*rows, ""]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--devices",
        type=lambda v: [int(n) for n in v.split(",")],
        default=[100],
        help="fleet sizes, comma-separated: one table each",
    )
    parser.add_argument("--interfaces", type=int, default=16)
    parser.add_argument("--counters", type=int, default=8)
    parser.add_argument("--interval", type=float, default=0.1, help="sample interval of every device (s)")
    parser.add_argument("--fleet-processes", type=int, default=2)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--duration", type=float, default=20.0, help="measured window per collector (s)")
    parser.add_argument("--linger-ms", type=int, default=5, help="ROM publisher linger (ms)")
    parser.add_argument("--only", choices=("rom", "gnmic"), help="run one side only")
    parser.add_argument("--write", type=Path, help="update this RESULTS.md section")
    parser.add_argument("--rom-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--bootstrap", help=argparse.SUPPRESS)
    parser.add_argument("--topic", help=argparse.SUPPRESS)
    parser.add_argument("--devices-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    LINGER_MS[0] = args.linger_ms
    if args.rom_child:
        asyncio.run(rom_child(args))
        return
    rows: list[str] = []
    with tempfile.TemporaryDirectory(prefix="rom-bench-telemetry-") as tmp:
        broker = KafkaBroker(Path(tmp) / "kafka", heap_mb=768)
        broker.start()
        try:
            for devices in args.devices:
                results: dict[str, dict[str, Any]] = {}
                size = argparse.Namespace(**{**vars(args), "devices": devices})
                for name, make in (("rom", rom_cmd), ("gnmic", gnmic_cmd)):
                    if args.only in (None, name):
                        results[name] = one_run(name, make, broker.bootstrap, size, Path(tmp))
                if len(results) == 2:
                    rows += table(size, results["rom"], results["gnmic"])
        finally:
            broker.stop()
    if not rows:
        return
    print("\n".join(rows))
    if args.write:
        write_section(args.write, args, rows)


def write_section(path: Path, args: argparse.Namespace, rows: list[str]) -> None:
    command = " ".join(["    .venv/bin/python bench/telemetry_kafka.py", *sys.argv[1:]])
    body = "\n".join(
        [
            SECTION, "",
            f"Measured {time.strftime('%Y-%m-%d %H:%M')} UTC on this 2-vCPU VM, shared with other work at the"
            " time (figures are indicative), CPython"
            f" {sys.version.split()[0]}, Kafka from `lab.kafka_broker`, gnmic v0.47.0. Fleet:"
            f" `sims.gnmi.loadgen` in {args.fleet_processes} processes, {args.interfaces} interfaces x"
            f" {args.counters} counters per device; {args.warmup:g} s warm-up, then"
            f" {args.duration:g} s measured per collector, one collector after the other.", "",
            command, "",
            *rows,
            "Counted on the topic (LogAppendTime), not as reported by either collector. The fleet, the",
            "broker and the collector share the two cores, so the ceiling is the machine's.", "",
        ]
    )  # fmt: skip
    replace_section(path, SECTION, body)


if __name__ == "__main__":
    main()
