"""Every simulator module is path- and type-compatible with its upstream module: the simulator's
schema (its modules with its deviation module applied, from the copies in sims/yang/upstream/) has
no data node that upstream lacks (../shared/reference/yang/ for OpenConfig and 3GPP Release 17,
yang/ for ROM's augments), and each node has upstream's kind, keys, config/state and a type whose
value space is a subset of upstream's. The copies are the upstream files, byte for byte, and every
deviation names a node that exists upstream."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from sims.models import MODELS
from sims.schema import LeafType, Node
from sims.schema_yang import load_schema
from sims.yanglib import YangSpec, directories, index, source

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO.parent / "shared" / "reference" / "yang"
COPIES = REPO / "sims" / "yang" / "upstream"
UPSTREAM = (REFERENCE, REPO / "yang", REPO / "sims" / "yang")  # sims/yang: only the sims' own modules

pytestmark = pytest.mark.skipif(
    not REFERENCE.is_dir(), reason="no ../shared/reference/yang beside the checkout"
)


def narrower(mine: LeafType, theirs: LeafType) -> str | None:
    """Why ``mine`` accepts a value ``theirs`` does not (None: its value space is a subset)."""
    if mine.kind == "union":
        problems = [narrower(member, theirs) for member in mine.members]
        return next((problem for problem in problems if problem), None)
    if theirs.kind == "any":
        return None
    if theirs.kind == "union":
        problems = [narrower(mine, member) for member in theirs.members]
        return None if None in problems else f"{mine.kind} is in no member of upstream's union"
    if mine.kind != theirs.kind:
        return f"type {mine.kind}, upstream {theirs.kind}"
    if theirs.ranges and not all(
        any(low >= t_low and high <= t_high for t_low, t_high in theirs.ranges)
        for low, high in mine.ranges or [(None, None)]  # type: ignore[list-item]
    ):
        return f"range {mine.range_text()} is not within {theirs.range_text()}"
    if theirs.values and not mine.values <= theirs.values:
        return f"values {sorted(mine.values - theirs.values)} are not upstream's"
    if not set(theirs.patterns) <= set(mine.patterns):
        return "drops an upstream pattern"
    if theirs.lengths and not all(
        any(low >= t_low and high <= t_high for t_low, t_high in theirs.lengths)
        for low, high in mine.lengths or [(0, 2**32)]
    ):
        return f"lengths {mine.lengths} are not within {theirs.lengths}"
    return None


def walk(nodes: dict[str, Node], path: str = "") -> Iterator[tuple[str, str, Node]]:
    for tag, node in nodes.items():
        yield path + "/" + tag, tag, node
        yield from walk(node.children, path + "/" + tag)


def upstream_node(top: dict[str, Node], path: str) -> Node | None:
    nodes, found = top, None
    for tag in re.findall(r"\{[^}]*\}[^/]+", path):
        found = nodes.get(tag)
        if found is None:
            return None
        nodes = found.children
    return found


@pytest.mark.parametrize("name", sorted(MODELS))
def test_the_simulator_schema_is_a_subset_of_upstream(name: str) -> None:
    model = MODELS[name]
    upstream = load_schema(YangSpec(model.yang.modules), UPSTREAM)
    problems = []
    checked = 0
    for path, _tag, mine in walk(model.schema.top):
        theirs = upstream_node(upstream.top, path)
        if theirs is None:
            problems.append(f"{path}: not upstream")
            continue
        checked += 1
        if (mine.kind, mine.keys, mine.config) != (theirs.kind, theirs.keys, theirs.config):
            problems.append(
                f"{path}: {mine.kind} {mine.keys} config={mine.config}, upstream "
                f"{theirs.kind} {theirs.keys} config={theirs.config}"
            )
        elif mine.type is not None and theirs.type is not None:
            why = narrower(mine.type, theirs.type)
            if why:
                problems.append(f"{path}: {why}")
    assert not problems, "\n".join(problems[:20])
    assert checked > 50


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_deviation_names_an_upstream_node(name: str) -> None:
    spec = MODELS[name].yang
    assert spec.deviations, f"{name} has no deviation module"
    deviation = source(next(Path(d) for d in directories()) / f"{spec.deviations}.yang")
    text = deviation.path.read_text()
    imports = dict(re.findall(r"import\s+([\w.-]+)\s*\{\s*prefix\s+\"?([\w.-]+)", text))
    files = index((COPIES,))
    namespaces = {prefix: source(files[module]).namespace for module, prefix in imports.items()}
    upstream = load_schema(YangSpec(spec.modules), UPSTREAM)
    targets = re.findall(r'deviation\s+"([^"]+)"', text)
    assert targets
    for target in targets:
        tags = [
            f"{{{namespaces[prefix]}}}{local}" for prefix, local in re.findall(r"([\w.-]+):([\w.-]+)", target)
        ]
        assert upstream.node_at(tags) is not None, f"{spec.deviations}: {target} is not an upstream node"


def test_the_copies_are_the_upstream_files() -> None:
    copies = sorted(path for path in COPIES.rglob("*") if path.is_file())
    assert copies
    for copy in copies:
        relative = copy.relative_to(COPIES)
        original = REPO / "yang" / relative.name if relative.parts[0] == "rom" else REFERENCE / relative
        assert original.is_file() and copy.read_bytes() == original.read_bytes(), (
            f"{relative} differs from {original}: copy it again (cp {original} {copy})"
        )


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_node_a_simulator_reports_is_in_its_yang(name: str) -> None:
    model = MODELS[name]
    data = model.operational(model.initial_config(f"{name}1"), 30.0)
    outside = [
        model.schema.path_of(element)
        for element in data.iterdescendants()
        if isinstance(element.tag, str) and model.schema.node(element) is None
    ]
    assert outside == []
