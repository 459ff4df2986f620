"""What the reachability post-checks add to an order: POST→completed p50 with and without them.

Run: .venv/bin/python -m bench.reachability [--quick]
A star of PE routers around one P router (a topology written for the run, so every pair has a
path); L3VPN orders over 2 PEs (2 probes: each endpoint to the other) and 3 PEs (6 probes), three
probes per pair, all pairs in parallel; plus one round of 3 probes in parallel outside any order.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import yaml

from bench._harness import fleet, l3vpn_order, rom_serve, summary
from bench.order_path import ms, rom_latency
from drivers.base import DeviceTarget
from rom.reachability import Probe, run_probes

PES = ["pe1", "pe2", "pe3"]


def star_topology(path: Path) -> Path:
    nodes = {name: {"labels": {"rom.sim/model": "router"}} for name in ["p1", *PES]}
    links = [{"endpoints": [f"{pe}:eth1", f"p1:eth{i}"]} for i, pe in enumerate(PES, start=1)]
    path.write_text(yaml.safe_dump({"name": "rom-bench-star", "topology": {"nodes": nodes, "links": links}}))
    return path


def probes_alone(endpoints: list[dict[str, object]], n: int) -> list[float]:
    """3 probes (pe1, pe2, pe3 to an address of the last order's VRF) in parallel, n times."""
    by_name = {str(e["name"]): e for e in endpoints}
    targets = {
        pe: DeviceTarget(
            pe,
            str(by_name[pe]["host"]),
            int(str(by_name[pe]["netconf_port"])),
            "rom-router",
            "admin",
            "admin",
            gnmi_port=int(str(by_name[pe]["gnmi_port"])),
        )
        for pe in PES
    }
    order = l3vpn_order(PES, 999)
    address = order["orderItem"][0]["resource"]["resourceCharacteristic"][5]["value"]
    probes = [Probe("bench", pe, address, "B999", count=3) for pe in PES]
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        run_probes(targets, probes)
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer samples")
    n = 10 if parser.parse_args().quick else 40
    rows = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        fleet(topology=star_topology(Path(tmp) / "star.clab.yml")) as lab,
    ):
        for label, env in (("without reachability checks", "false"), ("with reachability checks", "true")):
            offset = 0 if env == "false" else 500
            with rom_serve(lab, ROM_REACHABILITY_CHECKS=env) as client:
                rom_latency(client, [l3vpn_order(PES[:2], 100 + offset + i) for i in range(3)])  # warm-up
                two = summary(rom_latency(client, [l3vpn_order(PES[:2], 200 + offset + i) for i in range(n)]))
                three = summary(rom_latency(client, [l3vpn_order(PES, 300 + offset + i) for i in range(n)]))
                if env == "true":
                    alone = summary(probes_alone(lab, n))
            rows.append((label, two, three))
    print("| L3VPN order POST→completed | 2 PEs (2 pairs) p50 / p99 ms | 3 PEs (6 pairs) p50 / p99 ms |")
    print("|---|---|---|")
    for label, two, three in rows:
        print(f"| {label} | {ms(two)} | {ms(three)} |")
    (_, two_off, three_off), (_, two_on, three_on) = rows
    print(
        f"\nadded p50: {1000 * (two_on['p50'] - two_off['p50']):.1f} ms (2 PEs), "
        f"{1000 * (three_on['p50'] - three_off['p50']):.1f} ms (3 PEs); "
        f"3 probes in parallel outside an order: p50 {1000 * alone['p50']:.1f} ms, "
        f"p99 {1000 * alone['p99']:.1f} ms"
    )


if __name__ == "__main__":
    main()
