"""``python -m sims``: serve a fleet of simulated devices until interrupted.

With ``--topology FILE`` (a containerlab file) the fleet serves that topology's simulator nodes
(label ``rom.sim/model``) and its links make up the network model; otherwise ``--count`` numbered
devices of one ``--model``. The control API's URL is ``control_url`` in endpoints.json.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from sims.fleet import numbered_specs
from sims.host import run_fleet
from sims.topology import load_topology_file, topology_specs


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run the fleet."""
    parser = argparse.ArgumentParser(prog="python -m sims", description=__doc__)
    parser.add_argument("--count", type=int, default=2, help="number of devices (without --topology)")
    parser.add_argument("--prefix", default="r", help="device name prefix")
    parser.add_argument("--model", default="router")
    parser.add_argument("--topology", type=Path, help="containerlab file: its simulator nodes and links")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--base-port", type=int, default=0, help="first NETCONF port (0: free ports)")
    parser.add_argument("--gnmi-base-port", type=int, default=0, help="first gNMI port (0: free ports)")
    parser.add_argument("--no-gnmi", action="store_true", help="serve NETCONF only")
    parser.add_argument(
        "--gnmi-tls", action="store_true", help="gNMI over TLS (certificates of a lab CA, in --state-dir)"
    )
    parser.add_argument(
        "--gnmi-mtls",
        action="store_true",
        help="gNMI over mutual TLS: clients need a certificate of the lab CA",
    )
    parser.add_argument("--control-port", type=int, default=0, help="control API port (0: a free port)")
    parser.add_argument("--no-control", action="store_true", help="no control API")
    parser.add_argument("--state-dir", type=Path, default=Path("var/sims"))
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        # asyncssh's INFO lines (several per SSH connection and channel) are noise for a fleet;
        # its warnings stay, and --log-level DEBUG shows everything
        logging.getLogger("asyncssh").setLevel(logging.WARNING)
    topology = None
    if args.topology is not None:
        try:
            topology = load_topology_file(args.topology)
        except ValueError as exc:
            parser.error(str(exc))
        specs = topology_specs(
            topology, host=args.host, base_port=args.base_port, gnmi_base_port=args.gnmi_base_port
        )
        if not specs:
            parser.error(f"{args.topology}: no node carries the label rom.sim/model")
    else:
        specs = numbered_specs(
            args.count,
            prefix=args.prefix,
            model=args.model,
            host=args.host,
            base_port=args.base_port,
            gnmi_base_port=args.gnmi_base_port,
        )
    run_fleet(
        specs,
        args.state_dir,
        gnmi=not args.no_gnmi,
        gnmi_tls=args.gnmi_tls,
        gnmi_mtls=args.gnmi_mtls,
        topology=topology,
        control_port=None if args.no_control else args.control_port,
    )


if __name__ == "__main__":
    main()
