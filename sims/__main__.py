"""``python -m sims``: serve a fleet of simulated devices until interrupted."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from sims.fleet import numbered_specs, run_fleet


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run the fleet."""
    parser = argparse.ArgumentParser(prog="python -m sims", description=__doc__)
    parser.add_argument("--count", type=int, default=2, help="number of devices")
    parser.add_argument("--prefix", default="r", help="device name prefix")
    parser.add_argument("--model", default="router")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--base-port", type=int, default=0, help="first NETCONF port (0: free ports)")
    parser.add_argument("--gnmi-base-port", type=int, default=0, help="first gNMI port (0: free ports)")
    parser.add_argument("--no-gnmi", action="store_true", help="serve NETCONF only")
    parser.add_argument("--gnmi-tls", action="store_true", help="gNMI over TLS (self-signed, in --state-dir)")
    parser.add_argument("--state-dir", type=Path, default=Path("var/sims"))
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    specs = numbered_specs(
        args.count,
        prefix=args.prefix,
        model=args.model,
        host=args.host,
        base_port=args.base_port,
        gnmi_base_port=args.gnmi_base_port,
    )
    run_fleet(specs, args.state_dir, gnmi=not args.no_gnmi, gnmi_tls=args.gnmi_tls)


if __name__ == "__main__":
    main()
