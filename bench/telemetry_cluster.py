"""Telemetry collectors scaling out, with real processes: what moves, the gap and the duplicates.

    .venv/bin/python bench/telemetry_cluster.py [--devices 12] [--db sqlite|postgres] [--ttl 3]
        [--sample 0.5] [--write bench/RESULTS.md]

A Kafka broker (``lab.kafka_broker``), a simulator fleet of routers in this process (gNMI SAMPLE of
interface counters every ``--sample`` s), the routers in ROM's inventory (SQLite, or a throw-away
PostgreSQL from ``lab.postgres``) and ``rom telemetry run --cluster --cluster-ttl TTL`` processes
on that database. One step after the other:

1. collectors A and B start; the split settles;
2. **add**: collector C starts;
3. **SIGTERM**: A stops cleanly (it leaves its lease);
4. **kill -9**: B is killed; C is left with every device.

Everything is counted on ``rom.telemetry``, where every record names the collector that wrote it
(Kafka header ``rom-collector``). A sample is one notification: a distinct (device, collector,
notification timestamp). For each device whose collector changed in a step:

- **move**: the step's event (C's first share in its log; the signal sent) -> the new collector's
  first sample of the device;
- **gap**: new collector's first sample - old collector's last sample - one sample interval
  (0 when the two streams overlap); **missed** = the samples that interval would have held;
- **duplicates**: the old collector's samples at or after the new collector's first one (both
  streams covered that interval).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from aiokafka import AIOKafkaConsumer  # noqa: E402

from bench._harness import replace_section  # noqa: E402
from core.settings import Settings  # noqa: E402
from inventory.context import Context  # noqa: E402
from inventory.records import Device, upsert_device  # noqa: E402
from lab.kafka_broker import KafkaBroker  # noqa: E402
from sims.fleet import FleetThread, SimDeviceSpec  # noqa: E402
from telemetry.publish import COLLECTOR_HEADER  # noqa: E402

SECTION = "## Telemetry scale-out on {db}: gap and duplicates around a move (issue 15)"
SHARE = re.compile(r"cluster: (\d+) members, collecting (\d+) of (\d+) devices: ([\w,]*)")
JOINED = re.compile(r"^(\S+ \S+) INFO telemetry.runner: cluster: ", re.M)
GUARD_S = 90.0  # against hanging only


class Topic:
    """Every sample on ``rom.telemetry``: (device, collector) -> notification timestamps (ns)."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.samples: dict[tuple[str, str], set[int]] = defaultdict(set)
        self.events = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._consume()), daemon=True)
        self._thread.start()

    async def _consume(self) -> None:
        consumer = AIOKafkaConsumer(
            "rom.telemetry", bootstrap_servers=self.bootstrap, auto_offset_reset="earliest"
        )
        await consumer.start()
        try:
            while not self._stop.is_set():
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    for record in records:
                        event = json.loads(record.value or b"{}")
                        if not any("/counters/" in path for path in event.get("values", {})):
                            continue
                        collector = dict(record.headers).get(COLLECTOR_HEADER, b"?").decode()
                        self.samples[(event["device"], collector)].add(int(event["timestamp"]))
                        self.events += 1
        finally:
            await consumer.stop()

    def of(self, device: str, collector: str, since: int, until: int) -> list[int]:
        return sorted(t for t in list(self.samples[(device, collector)]) if since <= t < until)

    def owner(self, device: str, since: int, until: int) -> str | None:
        """The collector of the device's last sample in [since, until)."""
        found = [(max(ts), c) for (d, c), stamps in list(self.samples.items()) if d == device
                 and (ts := [t for t in stamps if since <= t < until])]  # fmt: skip
        return max(found)[1] if found else None

    def close(self) -> None:
        self._stop.set()
        self._thread.join(30)


@dataclass
class Collector:
    name: str
    log: Path
    proc: subprocess.Popen[bytes]

    def joined(self) -> int | None:
        """When this collector logged its first share of the devices (ns since the epoch)."""
        found = JOINED.search(self.log.read_text(errors="replace"))
        if found is None:
            return None
        return int(datetime.strptime(found[1], "%Y-%m-%d %H:%M:%S,%f").timestamp() * 1e9)

    def share(self) -> tuple[int, set[str]] | None:
        found = SHARE.findall(self.log.read_text(errors="replace"))
        if not found:
            return None
        members, _count, _total, names = found[-1]
        return int(members), set(filter(None, names.split(",")))


@dataclass
class Step:
    name: str
    moved: int
    per_collector: list[int]
    move_s: list[float]
    gap_s: list[float]
    missed: int
    duplicates: list[int]


def wait(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + GUARD_S
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.1)


class Cluster:
    def __init__(self, env: dict[str, str], logs: Path, devices: list[str], args: argparse.Namespace) -> None:
        self.env, self.logs, self.devices, self.args = env, logs, devices, args
        self.collectors: dict[str, Collector] = {}

    def start(self, name: str) -> None:
        log = self.logs / f"collector-{name}.log"
        cmd = [
            sys.executable, "-m", "cli", "telemetry", "run", "--cluster", "--cluster-ttl", str(self.args.ttl),
            "--sample-interval", str(self.args.sample), "--inventory-interval", "5", "--metrics-port", "0",
        ]  # fmt: skip
        proc = subprocess.Popen(cmd, env=self.env, cwd=REPO, stdout=log.open("wb"), stderr=subprocess.STDOUT)
        self.collectors[name] = Collector(name, log, proc)

    def live(self) -> list[Collector]:
        return [c for c in self.collectors.values() if c.proc.poll() is None]

    def settled(self) -> bool:
        live = self.live()
        shares = [c.share() for c in live]
        if any(s is None or s[0] != len(live) for s in shares):
            return False
        held = [s[1] for s in shares if s is not None]
        return set().union(*held) == set(self.devices) and sum(map(len, held)) == len(self.devices)

    def stop_all(self) -> None:
        for c in self.live():
            c.proc.send_signal(signal.SIGTERM)
        for c in self.collectors.values():
            try:
                c.proc.wait(60)
            except subprocess.TimeoutExpired:
                c.proc.kill()


def measure(
    name: str,
    topic: Topic,
    cluster: Cluster,
    before: int,
    start: int,
    sample_s: float,
    event: int | None = None,
) -> Step:
    """Settle, then compare each device's collector in [before, start) and after ``start`` (ns): the
    step began at ``start`` and took effect at ``event`` (default: ``start``)."""
    event = event or start
    wait(cluster.settled, f"the split after {name}")
    time.sleep(cluster.args.ttl / 3 + 4 * sample_s + 1.0)  # the old streams' last samples, and the new ones
    end = time.time_ns()
    sample_ns = sample_s * 1e9
    moves, gaps, missed, dups = [], [], 0, []
    moved = 0
    for device in cluster.devices:
        old, new = topic.owner(device, before, start), topic.owner(device, start, end)
        if old is None or new is None or old == new:
            continue
        moved += 1
        last_old = topic.of(device, old, before, end)[-1]
        first_new = topic.of(device, new, start, end)[0]
        moves.append((first_new - event) / 1e9)
        gap = max(0.0, first_new - last_old - sample_ns)
        gaps.append(gap / 1e9)
        missed += round(gap / sample_ns)
        dups.append(len([t for t in topic.of(device, old, before, end) if t >= first_new]))
    per = sorted((len(s[1]) for c in cluster.live() if (s := c.share())), reverse=True)
    return Step(name, moved, per, moves, gaps, missed, dups)


@contextmanager
def database(kind: str, var_dir: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield ""
        return
    from lab.postgres import PostgresServer

    server = PostgresServer()
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def run(args: argparse.Namespace) -> list[Step]:
    names = [f"r{i:02d}" for i in range(1, args.devices + 1)]
    with tempfile.TemporaryDirectory(prefix="rom-bench-cluster-") as tmp, database(args.db, Path(tmp)) as url:
        var = Path(tmp)
        broker = KafkaBroker(var / "kafka")
        broker.start()
        try:
            with FleetThread([SimDeviceSpec(n) for n in names]) as fleet:
                ctx = Context.create(Settings(var_dir=var, database_url=url))
                with ctx.transaction() as session:
                    for ep in fleet.endpoints:
                        upsert_device(session, Device(name=ep.name, host=ep.host, port=ep.netconf_port,
                                                      gnmi_port=ep.gnmi_port, platform=ep.platform,
                                                      role="pe", source="bench"))  # fmt: skip
                env = {**os.environ, "ROM_VAR_DIR": str(var), "ROM_KAFKA_BOOTSTRAP": broker.bootstrap}
                env["ROM_DATABASE_URL"] = url
                topic = Topic(broker.bootstrap)
                cluster = Cluster(env, var, names, args)
                try:
                    return scenario(cluster, topic, args.sample)
                finally:
                    cluster.stop_all()
                    topic.close()
                    if args.keep_logs:
                        for c in cluster.collectors.values():
                            print(f"--- {c.log.name}\n{c.log.read_text(errors='replace')[-3000:]}")
        finally:
            broker.stop()


def scenario(cluster: Cluster, topic: Topic, sample_s: float) -> list[Step]:
    cluster.start("A")
    cluster.start("B")
    wait(cluster.settled, "A and B to split the devices")
    wait(lambda: all(any(k[0] == d for k in list(topic.samples)) for d in cluster.devices), "every device")
    time.sleep(2.0)
    steps = []
    before = time.time_ns() - int(2e9)

    start = time.time_ns()
    cluster.start("C")  # the move starts when C has joined (its own start-up is not the cluster's)
    wait(lambda: cluster.collectors["C"].joined() is not None, "C to join")
    joined = cluster.collectors["C"].joined()
    steps.append(measure("add a collector (2 -> 3)", topic, cluster, before, start, sample_s, joined))
    before = start

    event = time.time_ns()
    cluster.collectors["A"].proc.send_signal(signal.SIGTERM)
    cluster.collectors["A"].proc.wait(60)
    steps.append(measure("SIGTERM one (3 -> 2)", topic, cluster, before, event, sample_s))
    before = event

    event = time.time_ns()
    cluster.collectors["B"].proc.send_signal(signal.SIGKILL)
    cluster.collectors["B"].proc.wait(60)
    steps.append(measure("kill -9 one (2 -> 1)", topic, cluster, before, event, sample_s))
    return steps


def fmt(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):.2f} / {max(values):.2f}"


def table(args: argparse.Namespace, steps: list[Step]) -> str:
    lines = [
        f"| step ({args.db}) | devices moved | devices per collector after | move s (median / max) "
        "| gap s (median / max) | samples missed | duplicate samples (total, max per device) |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in steps:
        dup = f"{sum(s.duplicates)}, {max(s.duplicates, default=0)}"
        per = " + ".join(map(str, s.per_collector))
        lines.append(
            f"| {s.name} | {s.moved} | {per} | {fmt(s.move_s)} | {fmt(s.gap_s)} | {s.missed} | {dup} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=12)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--ttl", type=float, default=3.0, help="--cluster-ttl of every collector")
    parser.add_argument("--sample", type=float, default=0.5, help="SAMPLE interval, s")
    parser.add_argument("--keep-logs", action="store_true", help="print the collectors' log tails")
    parser.add_argument("--write", type=Path, help="put the table in this results file")
    args = parser.parse_args()
    started = time.monotonic()
    steps = run(args)
    out = table(args, steps)
    print(out)
    print(f"({time.monotonic() - started:.0f} s)")
    if args.write:
        command = (
            f"    .venv/bin/python bench/telemetry_cluster.py --devices {args.devices} --db {args.db}"
            f" --ttl {args.ttl:g} --sample {args.sample:g}"
        )
        heading = SECTION.format(db="PostgreSQL" if args.db == "postgres" else "SQLite")
        note = "Shared, loaded 2-core machine; collectors as separate processes, the fleet in the bench's."
        replace_section(args.write, heading, f"{heading}\n\n{command}\n\n{note}\n\n{out}\n")


if __name__ == "__main__":
    main()
