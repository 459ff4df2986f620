"""In-process edit latency of a simulated router's datastore (issue 13: YANG-derived schema): an
edit-config of one subinterface (VLAN, IPv4 address) on candidate, then commit, with no protocol
around it, so the figure is the datastore's own work (edit applied and checked, whole-tree
validation at commit).

    .venv/bin/python bench/sims_edit.py [--n 500] [--cpu]

--cpu times each pair in this process's CPU time rather than wall time (a loaded machine).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lxml import etree

from sims.datastore import Datastore
from sims.models import get_model

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
IF = "http://openconfig.net/yang/interfaces"
IP = "http://openconfig.net/yang/interfaces/ip"
VLAN = "http://openconfig.net/yang/vlan"


def edit(index: int) -> etree._Element:
    """A <config> adding subinterface ``index`` of Ethernet1 with a VLAN and an address."""
    return etree.fromstring(
        f'<config xmlns="{NC}"><interfaces xmlns="{IF}"><interface><name>Ethernet1</name><subinterfaces>'
        f"<subinterface><index>{index}</index><config><index>{index}</index></config>"
        f'<vlan xmlns="{VLAN}"><match><single-tagged><config><vlan-id>{index % 4000 + 1}</vlan-id></config>'
        f'</single-tagged></match></vlan><ipv4 xmlns="{IP}"><addresses><address><ip>10.{index // 250}.'
        f"{index % 250}.1</ip><config><ip>10.{index // 250}.{index % 250}.1</ip><prefix-length>30"
        "</prefix-length></config></address></addresses></ipv4></subinterface></subinterfaces></interface>"
        "</interfaces></config>"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="edit + commit pairs")
    parser.add_argument("--cpu", action="store_true", help="CPU time of this process, not wall time")
    args = parser.parse_args()
    clock = time.process_time if args.cpu else time.perf_counter
    started = time.perf_counter()
    model = get_model("router")
    store = Datastore(model.schema, model.initial_config("r1"))
    loaded = time.perf_counter() - started
    times = []
    for index in range(1, args.n + 1):
        config = edit(index)
        began = clock()
        store.edit("candidate", config, 1)
        store.commit(1)
        times.append(clock() - began)
    print(f"model load: {loaded * 1000:.0f} ms")
    kind = "CPU" if args.cpu else "wall"
    median = statistics.median(times) * 1000
    print(f"edit-config + commit, in process, {kind}: median {median:.3f} ms (n={args.n})")
    first, last = times[: args.n // 10], times[-(args.n // 10) :]
    print(f"  first 10% (small running config): median {statistics.median(first) * 1000:.3f} ms")
    print(f"  last 10% (large running config): median {statistics.median(last) * 1000:.3f} ms")


if __name__ == "__main__":
    main()
