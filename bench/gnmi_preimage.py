"""The gNMI stage of a 5G slice order (the audit pre-image), per device: round trips, Gets, wall and CPU.

Run: .venv/bin/python -m bench.gnmi_preimage [--orders N]
(another checkout: `cd <checkout> && PYTHONPATH=. <this venv>/bin/python -m bench.gnmi_preimage`).
The 5G slice lab (simulators in their own process); for each of N slice orders, the gNMI payloads
of gnb1 and pe1 are staged (the pre-image read) and committed on pooled sessions, as an order does.
Prints the medians of the orders after the first two.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._harness import REPO, fleet, sim_targets, slice_order
from bench.order_path import payloads_for
from drivers.pool import SessionPool
from drivers.registry import driver_for
from lab.containerlab import trust_host_keys

DEVICES = ("gnb1", "pe1")


def _counting(session: Any) -> list[int]:
    """[round trips, Gets] of `session.call_each` from now on."""
    counts = [0, 0]
    each = session.call_each

    def counted(rpc: str, requests: list[Any]) -> list[Any]:
        counts[0] += 1
        counts[1] += len(requests)
        return each(rpc, requests)

    session.call_each = counted
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=30)
    args = parser.parse_args()
    with fleet(topology=REPO / "topologies" / "5g-slice.clab.yml") as lab:
        known_hosts = Path(tempfile.mkdtemp(prefix="rom-bench-known-hosts-")) / "known_hosts"
        trust_host_keys(known_hosts, lab)
        targets = {t.name: t for t in sim_targets(lab, known_hosts)}
        pool = SessionPool()
        rows: dict[str, list[tuple[int, int, float, float]]] = {d: [] for d in DEVICES}
        for i in range(args.orders):
            payloads = payloads_for(lab, slice_order(5000 + i))
            for device in DEVICES:
                driver = driver_for(targets[device], pool, "gnmi")
                driver.open()
                counts = _counting(driver._s)  # type: ignore[attr-defined]
                wall, cpu = time.perf_counter(), time.process_time()
                driver.stage(payloads[device]["gnmi"])
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                driver.commit()
                driver.close()
                rows[device].append((counts[0], counts[1], wall * 1000, cpu * 1000))
    for device, samples in rows.items():
        kept = samples[2:]
        print(
            f"{device}: round trips {statistics.median(r[0] for r in kept)}, "
            f"Gets {statistics.median(r[1] for r in kept)}, "
            f"stage wall p50 {statistics.median(r[2] for r in kept):.1f} ms, "
            f"client CPU p50 {statistics.median(r[3] for r in kept):.2f} ms"
        )


if __name__ == "__main__":
    main()
