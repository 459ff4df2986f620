"""One network-wide transaction across N simulated routers: pooled vs fresh NETCONF sessions.

    .venv/bin/python bench/netconf_fleet_push.py [--devices 10 100] [--rounds 3] [--workers 100] [--external]

Each round is one `run_transaction` (stage, confirmed commit, confirm) over every device.
"fresh": `make_nornir(pool=None)`, every round opens and closes one SSH session per device.
"pooled": one `SessionPool` shared by the rounds; round 1 opens the sessions, later rounds reuse
them. Prints a Markdown table (wall-clock seconds per round: first, then median of the rest).
`--external`: the fleet runs in its own process (`python -m sims`), not in a thread of this one
(which shares the GIL with the client).
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drivers.base import DeviceTarget
from drivers.nornir_plugins import make_nornir
from drivers.pool import SessionPool
from drivers.transaction import run_transaction
from lab.backends import oc_subif_payload
from lab.containerlab import trust_host_keys
from lab.support import trust_fleet
from sims.fleet import FleetThread, numbered_specs


def rounds(targets: list[DeviceTarget], pool: SessionPool | None, n: int, workers: int) -> list[float]:
    out = []
    for r in range(n):
        nr = make_nornir(targets, workers=workers, pool=pool)
        payloads = {t.name: oc_subif_payload(100 + r % 2, vlan=100 + r) for t in targets}
        t0 = time.perf_counter()
        result = run_transaction(nr, payloads, confirm_timeout=120, persist_id=f"bench-{r}")
        out.append(time.perf_counter() - t0)
        if not result.ok:
            raise SystemExit(f"transaction failed: {result.errors[:3]}")
    return out


@contextmanager
def fleet_targets(n: int, external: bool) -> Iterator[list[DeviceTarget]]:
    def target(e: dict[str, object], known_hosts: str) -> DeviceTarget:
        return DeviceTarget(
            str(e["name"]),
            str(e["host"]),
            int(str(e["netconf_port"])),
            str(e["platform"]),
            "admin",
            "admin",
            60,
            known_hosts=known_hosts,
        )

    if not external:
        with FleetThread(numbered_specs(n)) as fleet:
            known_hosts = trust_fleet(fleet)
            yield [target(e.__dict__, known_hosts) for e in fleet.endpoints]
        return
    with tempfile.TemporaryDirectory() as state:
        cmd = [sys.executable, "-m", "sims", "--count", str(n), "--no-gnmi", "--state-dir", state]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            endpoints = Path(state) / "endpoints.json"
            while not endpoints.exists():
                if proc.poll() is not None:
                    raise SystemExit("python -m sims exited")
                time.sleep(0.1)
            devices = json.loads(endpoints.read_text())["devices"]
            trust_host_keys(Path(state) / "known_hosts", devices)
            yield [target(e, str(Path(state) / "known_hosts")) for e in devices]
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, nargs="+", default=[10, 100])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=100)
    ap.add_argument("--external", action="store_true", help="run the fleet in its own process")
    args = ap.parse_args()
    rows = [
        "| devices | sessions | round 1 s | later rounds s (median) | sessions opened |",
        "|---:|---|---:|---:|---:|",
    ]
    for n in args.devices:
        with fleet_targets(n, args.external) as targets:
            fresh = rounds(targets, None, args.rounds, args.workers)
            rows.append(
                f"| {n} | fresh | {fresh[0]:.3f} | {statistics.median(fresh[1:]):.3f} | {n * args.rounds} |"
            )
            pool = SessionPool()
            pooled = rounds(targets, pool, args.rounds, args.workers)
            later = statistics.median(pooled[1:])
            rows.append(f"| {n} | pooled | {pooled[0]:.3f} | {later:.3f} | {pool.stats.opened} |")
            pool.close_all()
    print("\n".join(rows))


if __name__ == "__main__":
    main()
