"""Derive a device model's ``Schema`` from its YANG modules with yangson, once per process.

yangson compiles the modules (groupings, augments, deviations, typedef chains, identities); this
module walks the resulting schema tree into the plain ``sims.schema`` tree the datastore, the edit
engine and the gNMI codec read. Compiling the OpenConfig closure takes seconds, so the derived tree
is also kept on disk, keyed by a hash of every module file it was derived from
(``$SIM_YANG_CACHE``, else ``$XDG_CACHE_HOME/rom-sims`` or ``~/.cache/rom-sims``; a directory that
cannot be written only costs the compile).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
import pickle
import tempfile
import threading
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path
from typing import Any

from yangson import DataModel
from yangson import datatype as dt
from yangson import schemanode as sn

from sims.schema import ANYDATA, CONTAINER, LEAF, LEAF_LIST, LIST, LeafType, Node, Rule, Schema
from sims.yanglib import YangSpec, closure, digest, library

log = logging.getLogger(__name__)
_YANGSON = version("yangson")
FORMAT = 1  # bump when the derived tree's shape changes: older cache files are then ignored
_LOCK = threading.Lock()


def data_model(spec: YangSpec, roots: tuple[Path, ...] | None = None) -> DataModel:
    """The yangson DataModel of a device model's modules (compiled each call: seconds for OpenConfig)."""
    lib, search = library(spec, roots)
    return DataModel(json.dumps(lib), search)


def _bounds(intervals: list[list[Any]]) -> tuple[tuple[Any, Any], ...]:
    return tuple((interval[0], interval[-1]) for interval in intervals)


def leaf_type(typ: dt.DataType) -> LeafType:
    """The ``LeafType`` of a yangson type (leafrefs take their target's type)."""
    if isinstance(typ, dt.LeafrefType):
        ref = getattr(typ, "ref_type", None)
        return leaf_type(ref) if ref is not None else LeafType("any")
    if isinstance(typ, dt.UnionType):
        return LeafType("union", members=tuple(leaf_type(member) for member in typ.types))
    if isinstance(typ, dt.BooleanType):
        return LeafType("boolean")
    if isinstance(typ, dt.EmptyType):
        return LeafType("empty")
    if isinstance(typ, dt.IntegralType):
        ranges = _bounds(typ.range.intervals) if typ.range else ((typ._range[0], typ._range[1]),)
        wide = isinstance(typ, dt.Int64Type | dt.Uint64Type)
        return LeafType("int", ranges=tuple((int(low), int(high)) for low, high in ranges), wide=wide)
    if isinstance(typ, dt.Decimal64Type):
        ranges = _bounds(typ.range.intervals) if typ.range else ()
        return LeafType("decimal", ranges=tuple((Decimal(lo), Decimal(hi)) for lo, hi in ranges), wide=True)
    if isinstance(typ, dt.EnumerationType):
        return LeafType("enum", values=frozenset(typ.enum))
    if isinstance(typ, dt.BitsType):
        return LeafType("bits", values=frozenset(typ.bit))
    if isinstance(typ, dt.IdentityrefType):
        derived = typ.sctx.schema_data.derived_from_all(typ.bases)
        return LeafType("identity", values=frozenset(name for name, _module in derived))
    if isinstance(typ, dt.StringType):
        lengths = _bounds(typ.length.intervals) if typ.length else ()
        patterns = tuple((pattern.regex.pattern, pattern.invert_match) for pattern in typ.patterns)
        return LeafType("string", lengths=tuple((int(lo), int(hi)) for lo, hi in lengths), patterns=patterns)
    return LeafType("any")  # binary, instance-identifier


def _node(schema_node: sn.DataNode, namespaces: dict[str, str]) -> tuple[str, Node]:
    tag = f"{{{namespaces[schema_node.ns]}}}{schema_node.name}"  # only implemented modules' nodes
    config = bool(schema_node.config)
    if isinstance(schema_node, sn.LeafNode | sn.LeafListNode):
        kind = LEAF if isinstance(schema_node, sn.LeafNode) else LEAF_LIST
        return tag, Node(kind, config, type=leaf_type(schema_node.type))
    if isinstance(schema_node, sn.AnyContentNode):
        return tag, Node(ANYDATA, config)
    node = Node(LIST if isinstance(schema_node, sn.ListNode) else CONTAINER, config)
    if isinstance(schema_node, sn.ListNode):
        node.keys = tuple(name for name, _module in schema_node.keys)
    node.children = _children(schema_node, namespaces)
    return tag, node


def _children(parent: sn.InternalNode, namespaces: dict[str, str]) -> dict[str, Node]:
    return dict(_node(child, namespaces) for child in parent.data_children() if child.ns in namespaces)


def derive(model: DataModel, spec: YangSpec, roots: tuple[Path, ...] | None = None) -> Schema:
    """The ``Schema`` of a compiled model: the data nodes of the modules the device implements (with
    their keys, types and config/state), and every module's prefix for error paths."""
    sources = closure(spec, roots)
    namespaces = {name: sources[name].namespace or "" for name in spec.modules}
    prefixes = {src.namespace: src.prefix for src in sources.values() if src.namespace}
    return Schema(top=_children(model.schema, namespaces), prefixes=prefixes)


def cache_dir() -> Path:
    """Where derived schemas are kept between processes."""
    setting = os.environ.get("SIM_YANG_CACHE")
    if setting:
        return Path(setting)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rom-sims"


def _cache_file(spec: YangSpec, roots: tuple[Path, ...] | None) -> Path:
    return cache_dir() / f"schema-{digest(spec, roots)}-{FORMAT}-{_YANGSON}.pickle"


def _read(path: Path) -> Schema | None:
    try:
        with path.open("rb") as handle:
            loaded = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    return loaded if isinstance(loaded, Schema) else None


def _write(path: Path, schema: Schema) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as handle:
            pickle.dump(schema, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(handle.name, path)
    except OSError as exc:
        log.warning("cannot keep the derived YANG schema in %s: %s", path.parent, exc)


@functools.cache
def load_schema(spec: YangSpec, roots: tuple[Path, ...] | None = None) -> Schema:
    """The derived schema of a device model (modules below ``roots``, else ``directories()``): from
    this process's cache, the disk cache, or yangson."""
    with _LOCK:
        path = _cache_file(spec, roots)
        schema = _read(path)
        if schema is None:
            schema = derive(data_model(spec, roots), spec, roots)
            _write(path, schema)
        return schema


@functools.cache
def model_schema(spec: YangSpec, rules: tuple[Rule, ...] = ()) -> Schema:
    """The derived schema with a model's cross-leaf rules (shared by every device of the model)."""
    schema = load_schema(spec)
    return dataclasses.replace(schema, rules=rules) if rules else schema
