"""Several `rom telemetry run --cluster` processes share the devices through database leases: a
collector that joins takes its share from the one running, and a collector killed with SIGKILL has
its devices taken over by the other.

Real processes: a Kafka broker, the simulators (gNMI SAMPLE of interface counters), two
collectors on one SQLite database, and a consumer of ``rom.telemetry`` in this process, which
tells the collectors apart by the record header ``rom-collector``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from inventory.context import Context
from lab.kafka_broker import KafkaBroker
from lab.support import REPO
from sims.fleet import FleetThread, SimDeviceSpec
from telemetry.cluster import Membership
from telemetry.publish import COLLECTOR_HEADER
from tests.integration.conftest import make_settings, register_fleet

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("java") is None, reason="Java (17+) is not installed: no Kafka broker"),
]
DEVICES = [f"pe{i}" for i in range(1, 9)]
SAMPLE_S = 0.5
TTL_S = 3.0
GUARD_S = 90.0  # against hanging only, never asserted on
SHARE = re.compile(r"cluster: (\d+) members, collecting (\d+) of (\d+) devices: ([\w,]*)")


def test_membership_leases_expire_and_leave(tmp_path: Path) -> None:
    ctx = Context.create(make_settings(tmp_path))
    a = Membership(ctx.transaction, "a", ttl_s=60)
    b = Membership(ctx.transaction, "b", ttl_s=0.2)
    assert a.heartbeat() == ["a"]
    assert b.heartbeat() == ["a", "b"]
    time.sleep(0.3)  # b stops renewing: its lease runs out
    assert a.heartbeat() == ["a"]
    a.leave()
    assert b.heartbeat() == ["b"]


class Telemetry:
    """Every (device, notification timestamp) seen on ``rom.telemetry``, and the collector that
    wrote it, from a consumer thread."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.stamps: dict[str, list[int]] = defaultdict(list)
        self.writers: dict[str, list[tuple[int, str]]] = defaultdict(list)  # device -> (stamp, collector)
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
                        if any("/counters/" in path for path in event.get("values", {})):
                            self.stamps[event["device"]].append(int(event["timestamp"]))
                            writer = dict(record.headers)[COLLECTOR_HEADER].decode()
                            self.writers[event["device"]].append((int(event["timestamp"]), writer))
        finally:
            await consumer.stop()

    def after(self, device: str, ns: int) -> bool:
        return any(stamp > ns for stamp in list(self.stamps[device]))

    def collectors(self) -> set[str]:
        return {writer for found in list(self.writers.values()) for _, writer in list(found)}

    def latest_writer(self, device: str) -> str | None:
        found = list(self.writers[device])
        return max(found)[1] if found else None

    def close(self) -> None:
        self._stop.set()
        self._thread.join(30)


def wait(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + GUARD_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def last_share(log: Path) -> tuple[int, set[str]]:
    found = SHARE.findall(log.read_text(errors="replace"))
    if not found:
        return 0, set()
    members, _count, _total, names = found[-1]
    return int(members), set(filter(None, names.split(",")))


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[dict[str, str], FleetThread]]:
    broker = KafkaBroker(tmp_path / "kafka")
    broker.start()
    try:
        with FleetThread([SimDeviceSpec(name) for name in DEVICES]) as fleet:
            register_fleet(Context.create(make_settings(tmp_path)), fleet)
            env = {**os.environ, "ROM_VAR_DIR": str(tmp_path), "ROM_KAFKA_BOOTSTRAP": broker.bootstrap}
            env.pop("ROM_DATABASE_URL", None)
            yield env, fleet
    finally:
        broker.stop()


def test_a_joining_collector_takes_its_share_and_a_killed_ones_devices_move_to_the_other(
    lab: tuple[dict[str, str], FleetThread], tmp_path: Path
) -> None:
    env, _fleet = lab
    logs = [tmp_path / f"collector{i}.log" for i in (1, 2)]
    cmd = [
        sys.executable, "-m", "cli", "telemetry", "run", "--cluster", "--cluster-ttl", str(TTL_S),
        "--sample-interval", str(SAMPLE_S), "--inventory-interval", "2", "--metrics-port", "0",
    ]  # fmt: skip

    def start(log: Path) -> subprocess.Popen[bytes]:
        return subprocess.Popen(cmd, env=env, cwd=REPO, stdout=log.open("wb"), stderr=subprocess.STDOUT)

    procs = [start(logs[0])]
    telemetry = Telemetry(env["ROM_KAFKA_BOOTSTRAP"])
    try:
        # one collector holds every device; a second one joins and takes its share from it
        wait(lambda: last_share(logs[0]) == (1, set(DEVICES)), "the first collector to take every device")
        wait(lambda: all(telemetry.stamps[d] for d in DEVICES), "telemetry of every device")
        (first,) = telemetry.collectors()
        procs.append(start(logs[1]))
        wait(lambda: all(last_share(log)[0] == 2 for log in logs), "both collectors to see two members")
        wait(lambda: set().union(*(last_share(log)[1] for log in logs)) == set(DEVICES), "a full split")
        shares = [last_share(log)[1] for log in logs]
        assert not shares[0] & shares[1], f"a device collected twice: {shares}"
        wait(lambda: len(telemetry.collectors()) == 2 or not shares[1], "the second collector's telemetry")
        second = next(iter(telemetry.collectors() - {first}), None)
        owners = {first: shares[0], second: shares[1]}
        wait(
            lambda: all(telemetry.latest_writer(d) == w for w, held in owners.items() for d in held),
            "every device's telemetry from its collector",
        )  # the joined collector's devices came from the first one: they moved
        victim = 0 if shares[0] else 1  # rendezvous hashing may leave one member empty; kill one with work
        moved, kept = shares[victim], shares[1 - victim]
        wait(lambda: all(telemetry.stamps[d] for d in DEVICES), "telemetry of every device")

        killed_at = time.time_ns()
        procs[victim].send_signal(signal.SIGKILL)
        procs[victim].wait(30)
        survivor = logs[1 - victim]
        wait(lambda: last_share(survivor) == (1, set(DEVICES)), "the survivor to take every device")
        wait(lambda: all(telemetry.after(d, killed_at) for d in moved), "telemetry of the moved devices")
        resumed = {d: min(s for s in telemetry.stamps[d] if s > killed_at) for d in moved}
        time.sleep(3 * SAMPLE_S)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(60)
        telemetry.close()

    # The devices the survivor held never stopped; each moved device has one gap, around the kill.
    for device in kept:
        assert telemetry.after(device, killed_at)
    for device in moved:
        stamps = sorted(set(telemetry.stamps[device]))
        gaps = [(a, b) for a, b in itertools.pairwise(stamps) if b - a > (TTL_S + 1) * 1e9]
        assert len(gaps) <= 1 and all(a <= killed_at <= b for a, b in gaps), (device, gaps)
    gap_s = max((resumed[d] - killed_at) / 1e9 for d in moved) if moved else 0.0
    print(f"moved {len(moved)} devices; last one resumed {gap_s:.1f} s after the kill")
