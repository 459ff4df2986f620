"""The simulator's CPU per device and round of the 1,000-router transaction, for ROM's RPCs and the
Nornir + ncclient peer's, with no SSH around them (what `bench/fleet_transaction.py` shares).

    .venv/bin/python bench/sims_rpc_cost.py [--vrfs 16] [--repeat 5] [--tree /tmp/main]

One simulated router's `RpcHandler` answers, round after round, the `<rpc>`s of one device's
transaction with that round's `l3vpn-endpoint` payload (`bench.fleet_transaction.render`), so
the configuration gains a VRF each round as in the bench. ROM: lock, edit-config, confirmed
commit with persist, confirming commit by persist-id, unlock. Peer: lock, edit-config, commit,
unlock. Prints the CPU milliseconds per device of each round up to `--vrfs` VRFs (best of
`--repeat` runs, so a loaded machine weighs less), for ROM and the peer. `--tree DIR`: the
simulator (`sims`) from another checkout, e.g. main's, to compare side by side.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"


def rpc(message_id: int, body: str) -> bytes:
    return f'<rpc xmlns="{NC}" message-id="{message_id}">{body}</rpc>'.encode()


def sequence(payload: str, rom: bool) -> list[bytes]:
    """One device's RPCs in one round (ROM's or the peer's)."""
    commits = (
        [
            "<commit><confirmed/><confirm-timeout>300</confirm-timeout><persist>p</persist></commit>",
            "<commit><persist-id>p</persist-id></commit>",
        ]
        if rom
        else ["<commit/>"]
    )
    bodies = [
        "<lock><target><candidate/></target></lock>",
        f"<edit-config><target><candidate/></target>{payload}</edit-config>",
        *commits,
        "<unlock><target><candidate/></target></unlock>",
    ]
    return [rpc(i, body) for i, body in enumerate(bodies, start=1)]


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--vrfs", type=int, default=16, help="rounds (the last round's VRF count)")
    ap.add_argument("--repeat", type=int, default=5, help="runs; each round's best is kept")
    ap.add_argument("--tree", type=Path, help="import sims from this checkout")
    args = ap.parse_args()
    if args.tree is not None:
        sys.path.insert(0, str(args.tree.resolve()))
    sys.path.insert(1 if args.tree is not None else 0, str(REPO))
    from bench.fleet_transaction import render
    from drivers.base import DeviceTarget
    from intent.catalog import Catalog
    from sims.device import SimDevice
    from sims.models.router import ROUTER
    from sims.netconf.rpc import RpcHandler

    catalog = Catalog.load()
    target = DeviceTarget("r0", "127.0.0.1", 1, ROUTER.platform, username="u", password="p")
    payloads = [render(catalog, [target], n)["r0"] for n in range(1, args.vrfs + 1)]

    def run(rom: bool) -> list[float]:
        handler = RpcHandler(SimDevice("r0", ROUTER), 1)
        seconds = []
        for payload in payloads:
            messages = sequence(payload, rom)
            t0 = time.process_time()
            for message in messages:
                reply = handler.handle(message).reply
                if b"rpc-error" in reply:
                    raise SystemExit(f"refused: {reply.decode()}")
            seconds.append(time.process_time() - t0)
        return seconds

    print(f"sims from {args.tree or REPO}; CPU ms per device and round, best of {args.repeat}")
    for label, rom in (("ROM (5 RPCs)", True), ("peer (4 RPCs)", False)):
        best = [min(each) for each in zip(*(run(rom) for _ in range(args.repeat)), strict=True)]
        marks = [n for n in (1, 4, 8, 12, 16, 24, 32) if n <= len(best)]
        figures = "  ".join(f"{n} VRFs {1e3 * best[n - 1]:.2f}" for n in marks)
        print(f"{label:14} {figures}  (mean {1e3 * sum(best) / len(best):.2f})")


if __name__ == "__main__":
    main()
