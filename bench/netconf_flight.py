"""NETCONF flights against separate RPCs, per device: the stage with its audit diff, and the
confirmed commit with the read-back, over SSH to one simulated router, the two ways taking turns.

Run: .venv/bin/python bench/netconf_flight.py [--rounds 200]

"separate": lock, edit-config, get-config candidate, get-config running (4 round trips), then
commit confirmed, get-config running (2). "flight": lock, then edit-config + both reads in one
flight (2 round trips), then commit confirmed + get-config in one flight (1). Each round ends
with a rollback (cancel-commit, discard, unlock: not timed). Wall ms per step, medians, and the
client thread's CPU ms (both sides run in this process; the simulator's thread is not counted).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drivers.netconf import NetconfDriver
from lab.support import fleet_target
from sims.fleet import FleetThread, SimDeviceSpec

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
IF = "http://openconfig.net/yang/interfaces"
VLAN = "http://openconfig.net/yang/vlan"
READ_BACK = f'<filter xmlns="{NC}" type="subtree"><interfaces xmlns="{IF}"/></filter>'


def payload(index: int) -> str:
    return (
        f'<config xmlns="{NC}"><interfaces xmlns="{IF}"><interface><name>Ethernet1</name>'
        f"<subinterfaces><subinterface><index>{index}</index><config><index>{index}</index></config>"
        f'<vlan xmlns="{VLAN}"><match><single-tagged><config><vlan-id>{index}</vlan-id></config>'
        "</single-tagged></match></vlan></subinterface></subinterfaces></interface></interfaces></config>"
    )


def timed(step: Callable[[], object]) -> tuple[float, float]:
    """(wall ms, this thread's CPU ms)."""
    wall, cpu = time.perf_counter(), time.thread_time()
    step()
    return (time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000


def one_round(d: NetconfDriver, flight: bool, index: int) -> dict[str, tuple[float, float]]:
    def stage() -> None:
        d.stage(payload(index), read_diff=flight)
        d.diff()

    def commit() -> None:
        d.commit(confirm_timeout=120, persist_id="bench", read_after=[READ_BACK] if flight else [])
        d.get_config(READ_BACK)

    out = {"stage + diff": timed(stage), "commit + read-back": timed(commit)}
    d.rollback(persist_id="bench")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with FleetThread([SimDeviceSpec("pe1")]) as fleet:
        d = NetconfDriver(fleet_target(fleet, "pe1"))
        d.open()
        try:
            for i in range(args.rounds + 5):
                for way in ("separate", "flight") if i % 2 else ("flight", "separate"):
                    result = one_round(d, way == "flight", 100 + i % 50)
                    if i >= 5:  # warm-up
                        for step, sample in result.items():
                            samples.setdefault((way, step), []).append(sample)
        finally:
            d.close()
    print(f"# NETCONF flights, {args.rounds} rounds interleaved, one simulated router over SSH")
    print("| step | way | wall ms p50 | p90 | client thread CPU ms p50 |")
    print("|---|---|---:|---:|---:|")
    for (way, step), values in sorted(samples.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        walls = sorted(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        p90 = walls[int(len(walls) * 0.9)]
        print(f"| {step} | {way} | {statistics.median(walls):.2f} | {p90:.2f} | {cpu:.2f} |")


if __name__ == "__main__":
    main()
