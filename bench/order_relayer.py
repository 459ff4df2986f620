"""The order path of this checkout beside an earlier commit's, in the same run on the same fleet.

Run: .venv/bin/python -m bench.order_relayer [--before REF] [--quick]
REF (default 6482924, the last commit before the re-layering) is checked out into a temporary git
worktree and its `rom serve` (`python -m rom`) runs against the same simulators as this checkout's
(`python -m cli`). Before the re-layering every finished order read its resources back from the
devices once more to record their fingerprints; now they come from the order's own post-check read.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench._harness import REPO, fleet, rom_serve, slice_order, summary
from bench.order_path import ms, rom_latency, sustained

BEFORE = "6482924"


@contextmanager
def checkout(ref: str) -> Iterator[Path]:
    """A detached worktree of `ref`, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="rom-bench-before-") as tmp:
        path = Path(tmp) / "rom"
        subprocess.run(["git", "worktree", "add", "--detach", str(path), ref], cwd=REPO, check=True)
        try:
            yield path
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=REPO, check=False)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--before", default=BEFORE, help="the earlier commit to run beside this checkout")
    parser.add_argument("--quick", action="store_true", help="fewer samples")
    args = parser.parse_args()
    n, burst = (10, 100) if args.quick else (40, 500)
    modules = {"before": "rom", "after": "cli"}
    slice_p: dict[str, dict[str, float]] = {}
    rate: dict[str, float] = {}
    with checkout(args.before) as old:
        repos = {"before": old, "after": REPO}
        with fleet(topology=REPO / "topologies" / "5g-slice.clab.yml") as lab:
            for side, module in modules.items():
                with rom_serve(lab, repo=repos[side], module=module) as client:
                    rom_latency(client, [slice_order(1000 + i) for i in range(3)])  # warm-up
                    slice_p[side] = summary(rom_latency(client, [slice_order(2000 + i) for i in range(n)]))
        with fleet(100) as endpoints:
            devices = [f"r{i}" for i in range(1, 101)]
            for side, module in modules.items():
                with rom_serve(endpoints, repo=repos[side], module=module) as client:
                    rate[side] = sustained(client, devices, burst)
    print(f"# Order path before and after the re-layering ({args.before} vs this checkout)\n")
    print("| | slice order p50 / p99 ms | sustained orders/s |")
    print("|---|---|---|")
    for side in modules:
        print(f"| {side} | {ms(slice_p[side])} | {rate[side]:.1f} |")
    ratio = rate["after"] / rate["before"]
    print(f"\nsustained after / before: {ratio:.2f}x ({burst} single-device orders over 100 devices)")


if __name__ == "__main__":
    main()
