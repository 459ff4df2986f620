"""Every topology is a valid containerlab file and names its simulated nodes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from rom.lab import load_topology

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO.parent / "shared" / "reference" / "containerlab" / "clab.schema.json"
TOPOLOGIES = sorted((REPO / "topologies").glob("*.clab.yml"))


def _schema() -> dict[str, object]:
    """containerlab's schema; Python's `re` lacks `\\p{..}` classes, so `[\\p{N}\\p{L}]` becomes `\\w`."""
    if not SCHEMA.exists():
        pytest.skip(f"containerlab schema not found at {SCHEMA}")
    text = SCHEMA.read_text().replace("[\\\\p{N}\\\\p{L}]", "\\\\w")
    assert "\\\\p{" not in text
    schema: dict[str, object] = json.loads(text)
    return schema


@pytest.mark.parametrize("path", TOPOLOGIES, ids=lambda p: p.name)
def test_topology_validates_against_containerlab_schema(path: Path) -> None:
    jsonschema.validate(yaml.safe_load(path.read_text()), _schema())


@pytest.mark.parametrize("path", TOPOLOGIES, ids=lambda p: p.name)
def test_topology_has_simulated_nodes(path: Path) -> None:
    assert load_topology(path).simulated


def test_schema_rejects_a_broken_topology() -> None:
    broken = {"name": "x", "topology": {"nodes": {"a": {"kind": 42}}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, _schema())
