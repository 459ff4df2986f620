"""Compile a device model's YANG modules with yangson and walk the result into a ``Schema``.

yangson compiles the modules (groupings, augments, deviations, typedef chains, identities); this
module turns its schema tree into the plain ``sims.schema`` tree the datastore, the edit engine
and the gNMI codec read. Imported only when no cached schema fits (``sims.schema_yang``).
"""

from __future__ import annotations

import functools
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from yangson import DataModel, constraint
from yangson import datatype as dt
from yangson import schemanode as sn

from sims.schema import ANYDATA, CONTAINER, LEAF, LEAF_LIST, LIST, Constraints, LeafType, Node, Schema
from sims.yanglib import YangSpec, closure, library

# yangson translates every YANG pattern to a Python regex with elementpath, once per use: OpenConfig
# repeats a few dozen patterns (addresses, prefixes) some 900 times, and translating them was a
# third of compiling the router's modules. The translation is a pure function: remember it.
constraint.translate_pattern = functools.lru_cache(maxsize=None)(constraint.translate_pattern)


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


def _whens(schema_node: sn.DataNode) -> tuple[tuple[str, bool], ...]:
    """The node's own ``when`` (context: the node), then those of the augments, uses, choices and
    cases between it and its data parent (context: the data parent)."""
    found = [(str(schema_node.when), False)] if schema_node.when is not None else []
    up = schema_node.parent
    while up is not None and not isinstance(up, sn.DataNode | sn.SchemaTreeNode):
        if up.when is not None:
            found.append((str(up.when), True))
        up = up.parent
    return tuple(found)


def constraints(schema_node: sn.DataNode) -> Constraints | None:
    """The semantic constraints of a data node (None if it has none)."""
    typ = getattr(schema_node, "type", None)
    listed = isinstance(schema_node, sn.ListNode | sn.LeafListNode)
    found = Constraints(
        when=_whens(schema_node),
        must=tuple((str(m.expression), m.error_tag, m.error_message) for m in schema_node.must),
        leafref=str(typ.path) if isinstance(typ, dt.LeafrefType) and typ.require_instance else None,
        unique=tuple(tuple(map(str, paths)) for paths in getattr(schema_node, "unique", ())),
        min_elements=schema_node.min_elements if listed else 0,
        max_elements=schema_node.max_elements if listed else None,
    )
    return None if found == Constraints() else found


def _node(schema_node: sn.DataNode, namespaces: dict[str, str]) -> tuple[str, Node]:
    tag = f"{{{namespaces[schema_node.ns]}}}{schema_node.name}"  # only implemented modules' nodes
    config = bool(schema_node.config)
    rules = constraints(schema_node) if config else None
    if isinstance(schema_node, sn.LeafNode | sn.LeafListNode):
        kind = LEAF if isinstance(schema_node, sn.LeafNode) else LEAF_LIST
        return tag, Node(kind, config, type=leaf_type(schema_node.type), rules=rules)
    if isinstance(schema_node, sn.AnyContentNode):
        return tag, Node(ANYDATA, config, rules=rules)
    node = Node(LIST if isinstance(schema_node, sn.ListNode) else CONTAINER, config, rules=rules)
    if isinstance(schema_node, sn.ListNode):
        node.keys = tuple(name for name, _module in schema_node.keys)
    node.children = _children(schema_node, namespaces)
    node.counted = tuple(
        tag
        for tag, child in node.children.items()
        if child.rules
        and (child.rules.min_elements or child.rules.max_elements is not None or child.rules.unique)
    )
    node.mandatory = _mandatory(schema_node, node, namespaces)
    return tag, node


def _unconditional(child: sn.SchemaNode, parent: sn.InternalNode) -> bool:
    """Whether a data child is there whenever its parent is: no choice, case or ``when`` between."""
    if getattr(child, "when", None) is not None:
        return False
    up = child.parent
    while up is not None and up is not parent:
        if not isinstance(up, sn.InternalNode) or isinstance(up, sn.ChoiceNode | sn.CaseNode | sn.GroupNode):
            return False
        up = up.parent
    return True


def _mandatory(
    schema_node: sn.InternalNode, node: Node, namespaces: dict[str, str]
) -> tuple[tuple[str, ...], ...]:
    paths: list[tuple[str, ...]] = []
    for child in schema_node.data_children():
        if child.ns not in namespaces or not child.config or not _unconditional(child, schema_node):
            continue
        tag = f"{{{namespaces[child.ns]}}}{child.name}"
        if isinstance(child, sn.LeafNode) and child.mandatory and child.name not in node.keys:
            paths.append((tag,))
        elif isinstance(child, sn.ContainerNode) and not child.presence:
            paths.extend((tag, *path) for path in node.children[tag].mandatory)
    return tuple(paths)


def _children(parent: sn.InternalNode, namespaces: dict[str, str]) -> dict[str, Node]:
    return dict(_node(child, namespaces) for child in parent.data_children() if child.ns in namespaces)


def derive(model: DataModel, spec: YangSpec, roots: tuple[Path, ...] | None = None) -> Schema:
    """The ``Schema`` of a compiled model: the data nodes of the modules the device implements (with
    their keys, types and config/state), and every module's prefix for error paths."""
    sources = closure(spec, roots)
    namespaces = {name: sources[name].namespace or "" for name in spec.modules}
    prefixes = {src.namespace: src.prefix for src in sources.values() if src.namespace}
    modules = {src.namespace: name for name, src in sources.items() if src.namespace}
    return Schema(top=_children(model.schema, namespaces), prefixes=prefixes, modules=modules)
