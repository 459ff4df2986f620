"""Where an intake's milliseconds go: py-spy on `rom serve` while 16 clients POST parked orders.

Run: .venv/bin/python -m bench.profile_intake [--posts N] [--label before|after]
Needs py-spy (`.venv/bin/pip install py-spy`). A 3-router fleet in its own process; N L3VPN orders
parked for a future start (as `bench.order_path`'s intake), so every POST meets the ones before
it on the same routers. Writes bench/profiles/intake-<label>.{svg,txt} and prints the POST
handler's milliseconds per POST by innermost ROM function.
"""

from __future__ import annotations

import argparse
import asyncio

from bench._harness import fleet, rom_serve
from bench.order_path import intake
from bench.profile_order import sampled


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--label", default="after")
    args = parser.parse_args()
    three = ["r1", "r2", "r3"]
    with fleet(3) as endpoints, rom_serve(endpoints, ROM_REACHABILITY_CHECKS="false") as client:
        url = str(client.base_url)
        asyncio.run(intake(url, three, 10, 1, 4, first=100_000))  # warm-up
        (posts, _), _, by_function = sampled(
            f"intake-{args.label}", lambda: asyncio.run(intake(url, three, args.posts, 1, 16))
        )
    print(f"\nintake ({args.label}): {posts:.0f} accepted POSTs/s over {args.posts} POSTs\n")
    print("| innermost ROM function in the POST handler | ms per POST |")
    print("|---|---:|")
    for function, seconds in by_function.most_common(15):
        print(f"| {function} | {1e3 * seconds / args.posts:.1f} |")


if __name__ == "__main__":
    main()
