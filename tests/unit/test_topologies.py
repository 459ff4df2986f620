"""Every topology is a valid containerlab file and names its simulated nodes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from core.errors import InvalidRequest
from lab.containerlab import load_topology

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO.parent / "shared" / "reference" / "containerlab" / "clab.schema.json"
TOPOLOGIES = sorted((REPO / "topologies").glob("*.clab.yml"))


def _schema() -> dict[str, object]:
    """containerlab's schema; Python's `re` lacks `\\p{..}` classes, so `[\\p{N}\\p{L}]` becomes `\\w`."""
    assert SCHEMA.exists(), f"containerlab schema not found at {SCHEMA}: tests need ../shared"
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


def test_credentials_label_is_a_reference(tmp_path: Path) -> None:
    path = tmp_path / "lab.clab.yml"
    path.write_text(
        "name: t\ntopology:\n  defaults: {labels: {rom.credentials: lab-admin}}\n  nodes:\n"
        "    pe1: {labels: {rom.sim/model: router}}\n"
        "    pe2: {labels: {rom.sim/model: router, rom.credentials: core-admin}}\n"
    )
    assert [n.credentials for n in load_topology(path).nodes] == ["lab-admin", "core-admin"]
    path.write_text("name: t\ntopology:\n  nodes:\n    pe1: {labels: {rom.credentials: 'a b'}}\n")
    with pytest.raises(InvalidRequest, match=r"node 'pe1': label rom\.credentials is not a reference name"):
        load_topology(path)
