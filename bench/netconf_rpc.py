"""Per-RPC latency of edit-config + commit on an already open session: stock ncclient vs ROM.

    .venv/bin/python bench/netconf_rpc.py [--stock N] [--rom N] [--no-netconfd]

Servers: the ROM simulator (one router, in-process thread) and, when installed, netconfd
(yuma123 behind sshd, --target=candidate; scripts/netconfd/install.sh). Clients: stock ncclient
(`manager.connect`, 100 ms poll tick) and ROM's session (`drivers._netconf_session`, no tick);
plus ROM's whole driver cycle (lock, discard, edit, commit, unlock). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ncclient import manager

from drivers._netconf_session import open_session
from drivers.base import DeviceTarget
from drivers.netconf import NetconfDriver
from lab.backends import ietf_if_payload, oc_subif_payload
from lab.netconfd import Netconfd, NetconfdUnavailable
from lab.support import fleet_target, netconf_connect
from sims.fleet import FleetThread, SimDeviceSpec


def _stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def _timed(n: int, step: Callable[[int], None]) -> list[float]:
    step(0)  # warm-up
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        step(i + 1)
        out.append(time.perf_counter() - t0)
    return out


def _pair(m: manager.Manager, payload: Callable[[int], str]) -> Callable[[int], None]:
    def step(i: int) -> None:
        m.edit_config(config=payload(i % 2), target="candidate")
        m.commit()

    return step


def stock(target: DeviceTarget, n: int, payload: Callable[[int], str]) -> list[float]:
    m = netconf_connect(
        target.host,
        target.port,
        username=target.username,
        password=target.password or None,
        key_filename=target.key_file,
    )
    try:
        return _timed(n, _pair(m, payload))
    finally:
        m.close_session()


def rom_session(target: DeviceTarget, n: int, payload: Callable[[int], str]) -> list[float]:
    s = open_session(target)
    try:
        return _timed(n, _pair(s.manager, payload))
    finally:
        s.close()


def rom_driver(target: DeviceTarget, n: int, payload: Callable[[int], str]) -> list[float]:
    d = NetconfDriver(target)
    d.open()

    def cycle(i: int) -> None:
        d.stage(payload(i % 2))
        d.commit()

    try:
        return _timed(n, cycle)
    finally:
        d.close()


def run(
    server: str, target: DeviceTarget, payload: Callable[[int], str], n_stock: int, n_rom: int
) -> list[str]:
    rows = []
    base_samples = stock(target, n_stock, payload)
    base = statistics.median(base_samples)
    for client, fn, n in (
        ("stock ncclient 0.7 (edit-config + commit)", None, n_stock),
        ("ROM session (edit-config + commit)", rom_session, n_rom),
        ("ROM driver (lock, discard, edit, commit, unlock)", rom_driver, n_rom),
    ):
        samples = base_samples if fn is None else fn(target, n, payload)
        med, p95 = _stats(samples)
        ratio = base * 1000 / med
        rows.append(f"| {server} | {client} | {n} | {med:.2f} | {p95:.2f} | {ratio:.0f}x |")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stock", type=int, default=30, help="pairs timed with stock ncclient")
    ap.add_argument("--rom", type=int, default=300, help="pairs timed with ROM's session")
    ap.add_argument("--no-netconfd", action="store_true")
    args = ap.parse_args()
    rows = [
        "| server | client | n | median ms | p95 ms | speed-up vs stock |",
        "|---|---|---:|---:|---:|---:|",
    ]
    with FleetThread([SimDeviceSpec("pe1")]) as fleet:
        target = fleet_target(fleet, "pe1", 30)
        rows += run(
            "ROM simulator", target, lambda i: oc_subif_payload(100, vlan=100 + i), args.stock, args.rom
        )
    if not args.no_netconfd:
        try:
            with Netconfd("candidate") as nc:
                rows += run("netconfd 2.13 (candidate)", nc.target(), ietf_if_payload, args.stock, args.rom)
        except NetconfdUnavailable as e:
            rows.append(f"| netconfd | skipped: {e} | | | | |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
