"""containerlab topology files, as far as a fleet host needs them (pure, no Docker).

A node is simulated locally when it carries the label ``rom.sim/model`` (the device model); the
topology's ``links`` become the fleet's ``sims.network.Network`` (see ``Network.from_topology``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from sims.specs import SimDeviceSpec

SIM_MODEL_LABEL = "rom.sim/model"


def load_topology_file(path: Path) -> dict[str, Any]:
    """A containerlab file as a dict; ValueError if it is not one."""
    try:
        doc = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read topology {path}: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("topology"), dict):
        raise ValueError(f"{path}: not a containerlab topology (needs a 'topology' mapping)")
    return doc


def simulated_nodes(topology: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(node name, model)`` of every node labelled ``rom.sim/model``, in file order."""
    topo = topology.get("topology") or {}
    defaults = topo.get("defaults") or {}
    nodes = []
    for name, node in (topo.get("nodes") or {}).items():
        labels = {**(defaults.get("labels") or {}), **((node or {}).get("labels") or {})}
        model = labels.get(SIM_MODEL_LABEL)
        if model:
            nodes.append((str(name), str(model)))
    return nodes


def topology_specs(
    topology: Mapping[str, Any], *, host: str = "127.0.0.1", base_port: int = 0, gnmi_base_port: int = 0
) -> list[SimDeviceSpec]:
    """Specs of the topology's simulated nodes (ports ``base + i``, or free ports where a base is 0)."""
    return [
        SimDeviceSpec(
            name,
            model,
            host,
            base_port + i if base_port else 0,
            gnmi_port=gnmi_base_port + i if gnmi_base_port else 0,
        )
        for i, (name, model) in enumerate(simulated_nodes(topology))
    ]
