"""Chaos soak: two `rom serve` on one PostgreSQL, the 5G lab (gNB, PE/P routers, UPF, SMF, AMF), a
Kafka broker, a steady stream of mixed orders (bench/soak_orders.py: L3VPN and slice adds, modifies,
deletes, slices bound to fail), and a seeded schedule of faults: `kill -9` of the second `rom serve`
(restarted 1 s later; the first lives through the run, so its samples would show a slow leak), the
broker stopped for 5 s, PostgreSQL restarted, a simulated device restarted, a device's management
sessions dropped (the lab's control API). Default settings (30 s order lease), so the takeover
times measure core/liveness.py.

    .venv/bin/python -m bench.soak --minutes 30 --seed 16 [--json out.json]

At the end: every order final, none started twice, none ended twice, every outbox event
relayed and in Kafka exactly once by event id, `rom drift report` in sync (zero changed, zero
missing), every reservation held by a resource in the inventory, and after each kill the dead
process's orders taken over within 5 s; per `rom serve`, threads, open fds and RSS, and the lab's
open management sessions, sampled over time. Exit 1 if an invariant failed."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from bench.soak_orders import FINAL, Load
from core.events import ORDER_TOPIC, RESOURCE_TOPIC
from core.outbox import OutboxRow
from inventory.pool_store import ReservationRow
from inventory.records import Resource
from lab.containerlab import read_control_url
from lab.kafka_broker import KafkaBroker, kafka_libdir
from lab.order_events import event_ids
from lab.postgres import PostgresServer
from lab.support import REPO, free_port, running_lab, start_serve, wait_healthy
from rom.order_store import OrderRow, StepRow

TOPOLOGY = REPO / "topologies" / "5g-slice.clab.yml"
FAULTS = ["kill", "kill", "broker", "postgres", "device-restart", "drop-sessions"]
DEVICES = ["pe1", "pe2", "gnb1", "upf1", "smf1"]  # the ones the orders configure
TAKEOVER_LIMIT_S = 5.0


@dataclass
class Serve:
    env: dict[str, str]
    log: Any
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = start_serve(self.env, self.port, self.log)
        with httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=10) as client:
            wait_healthy(client, self.proc, timeout=120)

    def kill(self) -> int:
        assert self.proc is not None
        pid = self.proc.pid
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        return pid

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:  # a graceful stop that hangs is itself a finding: logged
            self.log.write(b"soak: rom serve did not stop within 30 s of SIGTERM; killed\n")
            self.proc.kill()
            self.proc.wait()

    def sample(self) -> dict[str, int] | None:
        if self.proc is None or self.proc.poll() is not None:
            return None
        pid = self.proc.pid
        status = Path(f"/proc/{pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        return {
            "pid": pid,
            "threads": int(fields["Threads"]),
            "fds": len(os.listdir(f"/proc/{pid}/fd")),
            "rss_kb": int(fields["VmRSS"].split()[0]),
        }


def _watch(into: list[float | None], engine: Any, pid: int, since: float) -> None:
    into.append(takeover_delay(engine, pid, since))


def takeover_delay(engine: Any, dead_pid: int, since: float, limit: float = 120) -> float | None:
    """Seconds from the kill until no order is owned by the dead process any more (None: none was)."""
    marker = f":{dead_pid}:"
    with Session(engine) as session:
        held = [
            o
            for o in session.scalars(select(OrderRow.owner).where(OrderRow.owner.is_not(None)))
            if marker in (o or "")
        ]
    if not held:
        return None
    while time.monotonic() - since < limit:
        with Session(engine) as session:
            owners = list(session.scalars(select(OrderRow.owner).where(OrderRow.owner.is_not(None))))
        if not any(marker in (o or "") for o in owners):
            return time.monotonic() - since
        time.sleep(0.1)
    return limit


def soak(seconds: float, seed: int, rate: float, work: Path) -> dict[str, Any]:
    rng = random.Random(seed)
    postgres = PostgresServer()
    broker = KafkaBroker(work / "kafka", lib_dir=kafka_libdir(fetch=True))
    starting = threading.Thread(target=broker.start, kwargs={"timeout": 180})  # the JVM is the slowest
    starting.start()
    postgres.start()
    starting.join()
    env = {
        **os.environ,
        "ROM_VAR_DIR": str(work),
        "ROM_DATABASE_URL": postgres.url,
        "ROM_KAFKA_BOOTSTRAP": broker.bootstrap,
        "ROM_CONFIRM_TIMEOUT": "60",
        "ROM_ORDER_THREADS": "3",
    }
    for name in ("ROM_LEASE_SECONDS", "ROM_API_KEYS"):
        env.pop(name, None)
    engine = create_engine(postgres.url, pool_pre_ping=True)  # it outlives PostgreSQL restarts
    log = open(work / "serve.log", "ab")  # noqa: SIM115
    report: dict[str, Any] = {"seed": seed, "seconds": seconds, "rate": rate, "faults": [], "samples": []}
    try:
        with running_lab(env, TOPOLOGY):
            serves = [Serve(env, log), Serve(env, log)]
            try:
                _run(serves, rng, seconds, engine, broker, postgres, env, report)
            finally:
                for serve in serves:
                    serve.stop()
        ids = report.pop("event_ids")
        seen = asyncio.run(event_ids(broker.bootstrap, len(ids), timeout=120))
        report["events"] = len(ids)
        report["events_lost"] = len(set(ids) - set(seen))
        report["events_duplicated"] = sum(1 for n in seen.values() if n > 1)
    finally:
        log.close()
        engine.dispose()
        broker.stop()
        postgres.stop()
    return report


def _run(
    serves: list[Serve],
    rng: random.Random,
    seconds: float,
    engine: Any,
    broker: KafkaBroker,
    postgres: PostgresServer,
    env: dict[str, str],
    report: dict[str, Any],
) -> None:
    """The load and the fault schedule, then the settled outcome, into `report`."""
    starting = [threading.Thread(target=serve.start) for serve in serves]
    for thread in starting:
        thread.start()
    for thread in starting:
        thread.join()
    if any(serve.proc is None or serve.proc.poll() is not None for serve in serves):
        raise RuntimeError("a rom serve did not start: see serve.log")
    control = read_control_url(Path(env["ROM_VAR_DIR"]) / "lab" / "rom-5g-slice")
    assert control, "the lab wrote no control URL"
    load = Load(serves, report["rate"], report["seed"])
    load.start()
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        time.sleep(rng.uniform(4, 10))
        report["samples"].append(_sample(serves, engine, control, time.monotonic() - began))
        fault = rng.choice(FAULTS)
        at = round(time.monotonic() - began, 1)
        if fault == "kill":
            serve = serves[1]  # serves[0] lives through the run: its samples show leaks, if any
            since = time.monotonic()
            pid = serve.kill()
            waiter: list[float | None] = []
            watcher = threading.Thread(target=_watch, args=(waiter, engine, pid, since))
            watcher.start()
            time.sleep(1)
            serve.start()
            watcher.join()
            report["faults"].append({"at": at, "fault": "kill -9 rom serve", "takeover_s": waiter[0]})
        elif fault == "broker":
            broker.stop()
            time.sleep(5)
            broker.start(timeout=180)  # a loaded machine may take a while
            report["faults"].append({"at": at, "fault": "Kafka broker stopped 5 s"})
        elif fault == "postgres":
            postgres.halt("fast")
            time.sleep(2)
            postgres.resume()
            report["faults"].append({"at": at, "fault": "PostgreSQL restarted (2 s)"})
        else:
            device = rng.choice(DEVICES)
            kind = "restart" if fault == "device-restart" else "drop-sessions"
            answer = httpx.post(f"{control}/faults", json={"kind": kind, "device": device}, timeout=30)
            report["faults"].append({"at": at, "fault": f"{kind} {device}", "status": answer.status_code})
    load.stop.set()
    load.join(60)
    report["samples"].append(_sample(serves, engine, control, time.monotonic() - began))
    report["orders_by_kind"] = dict(load.kinds)
    report["refused_at_intake"] = dict(load.refused)
    report.update(_settle(engine, load.accepted))
    drift = subprocess.run(
        [sys.executable, "-m", "cli", "drift", "report", "--format", "json"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report["drift_exit"] = drift.returncode
    rows = json.loads(drift.stdout).get("rows", []) if drift.stdout.strip().startswith("{") else []
    report["drift"] = dict(Counter(r["status"] for r in rows)) or {"no report": drift.stderr[-500:]}


def _sample(serves: list[Serve], engine: Any, control: str, at: float) -> dict[str, Any]:
    with Session(engine) as session:
        backlog = session.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.delivered.is_(None))
        )
        open_orders = session.scalar(
            select(func.count()).select_from(OrderRow).where(OrderRow.state.not_in(FINAL))
        )
    try:
        devices = httpx.get(f"{control}/devices", timeout=10).json()["devices"]
        sessions: int | None = sum(d["sessions"] for d in devices)
    except (httpx.HTTPError, ValueError, KeyError):
        sessions = None
    return {
        "at": round(at, 1),
        "outbox_backlog": backlog,
        "orders_open": open_orders,
        "device_sessions": sessions,
        "serves": [s.sample() for s in serves],
    }


def _settle(engine: Any, accepted: dict[int, str], timeout: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        with Session(engine) as session:
            states = dict(session.execute(select(OrderRow.id, OrderRow.state)).all())
            undelivered = session.scalar(
                select(func.count()).select_from(OutboxRow).where(OutboxRow.delivered.is_(None))
            )
        if (all(s in FINAL for s in states.values()) and not undelivered) or time.monotonic() > deadline:
            break
        time.sleep(1)
    with Session(engine) as session:
        steps = list(session.execute(select(StepRow.order_id, StepRow.step)).all())
        query = select(OutboxRow.payload).where(OutboxRow.topic.in_([ORDER_TOPIC, RESOURCE_TOPIC]))
        event_ids = [p["eventId"] for p in session.scalars(query)]
        resources = set(session.scalars(select(Resource.id)))
        holders = list(session.scalars(select(ReservationRow.resource_id)))
    starts = Counter(o for o, s in steps if s == "started")
    ends = Counter(o for o, s in steps if s in FINAL)
    return {
        "orders_accepted": len(accepted),
        "orders_missing": len(set(accepted.values()) - set(states)),
        "orders_by_state": dict(Counter(states.values())),
        "orders_not_final": sum(1 for s in states.values() if s not in FINAL),
        "started_twice": sum(1 for n in starts.values() if n > 1),
        "ended_twice": sum(1 for n in ends.values() if n > 1),
        "resumed_after_recovery": sum(1 for _, s in steps if s == "resumed"),
        "outbox_undelivered": undelivered,
        "reservations": len(holders),
        "reservations_without_resource": sum(1 for r in holders if r not in resources),
        "event_ids": event_ids,
    }


def held(report: dict[str, Any]) -> list[str]:
    """The invariants that failed (empty: all held)."""
    checks = {
        "an accepted order is missing": report["orders_missing"] == 0,
        "an order is not final": report["orders_not_final"] == 0,
        "an order started twice": report["started_twice"] == 0,
        "an order ended twice": report["ended_twice"] == 0,
        "an outbox event was not relayed": report["outbox_undelivered"] == 0,
        "an event is missing from Kafka": report["events_lost"] == 0,
        "an event is in Kafka twice": report["events_duplicated"] == 0,
        "the devices drifted from the inventory": report["drift_exit"] == 0,
        "a reservation is held by no resource": report["reservations_without_resource"] == 0,
        f"a killed process's orders waited {TAKEOVER_LIMIT_S:.0f} s or more": all(
            (f.get("takeover_s") or 0) < TAKEOVER_LIMIT_S for f in report["faults"]
        ),
    }
    return [name for name, ok in checks.items() if not ok]


def curves(samples: list[dict[str, Any]], every: float = 300) -> str:
    """A markdown table of the samples, the last one of each `every` seconds and the final one."""
    rows = [
        "| at (s) | open orders | outbox backlog | device sessions | rom serve A: threads / fds / RSS MB "
        "| rom serve B: threads / fds / RSS MB |",
        "|---|---|---|---|---|---|",
    ]
    picked = [s for s, after in itertools.pairwise(samples) if after["at"] // every > s["at"] // every]
    for sample in [samples[0], *picked, samples[-1]] if samples else []:
        procs = [
            "restarting" if p is None else f"{p['threads']} / {p['fds']} / {p['rss_kb'] // 1024}"
            for p in sample["serves"]
        ]
        rows.append(
            f"| {sample['at']:.0f} | {sample['orders_open']} | {sample['outbox_backlog']} "
            f"| {sample['device_sessions']} | {' | '.join(procs)} |"
        )
    return "\n".join(rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--rate", type=float, default=2.0, help="orders per second")
    parser.add_argument("--json", type=Path, help="write the report here")
    parser.add_argument("--keep", type=Path, help="work here and keep it (serve.log, lab, broker)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the lab, broker and database too
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        report = soak(args.minutes * 60, args.seed, args.rate, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="rom-soak-") as work:
            report = soak(args.minutes * 60, args.seed, args.rate, Path(work))
    report["failed"] = held(report)
    text = json.dumps(report, indent=1)
    if args.json:
        args.json.write_text(text)
    sys.stdout.write(text + "\n")
    sys.stderr.write(curves(report["samples"]))
    sys.exit(1 if report["failed"] else 0)


if __name__ == "__main__":
    main()
