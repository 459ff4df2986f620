"""Payloads shaped like one already validated are checked leaf by leaf (the fast path).

The syntax check of a fragment depends on its shape (member names, nesting, how many entries each
list has) and on each leaf's value against its type; `when` is not evaluated in fragments
(`intent.yang.check`). Payloads rendered by one template differ only in their values, so yangson
validates a shape once, in full; later payloads of that shape only have each leaf parsed and
checked by its type, as yangson does it (the type's parser, then its restrictions; a union only
needs one member type to parse it). A payload whose shape is new, or a leaf that fails, goes to
the full check, which also words the error.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from typing import Any

from yangson import DataModel
from yangson.datatype import UnionType
from yangson.exceptions import YangsonException
from yangson.schemanode import InternalNode, SchemaNode, TerminalNode

Shape = tuple[Any, ...]
_KNOWN: dict[tuple[int, Shape], tuple[TerminalNode, ...]] = {}
_KNOWN_SIZE = 4096
_LOCK = threading.Lock()


def xml_shape(root: ET.Element) -> tuple[Shape, list[ET.Element]]:
    """(the shape of a `<config>` tree, its leaf elements in document order)."""
    leaves: list[ET.Element] = []

    def walk(node: ET.Element) -> Shape:
        children = list(node)
        if not children:
            leaves.append(node)
            return (node.tag,)
        return (node.tag, tuple(walk(c) for c in children))

    return tuple(walk(c) for c in root), leaves


def json_shape(tree: dict[str, Any]) -> tuple[Shape, list[Any]]:
    """(the shape of an RFC 7951 tree, its scalar values in document order)."""
    leaves: list[Any] = []

    def walk(value: Any) -> Shape:
        if isinstance(value, dict):
            return ("{", tuple((name, walk(sub)) for name, sub in value.items()))
        if isinstance(value, list):
            return ("[", tuple(walk(sub) for sub in value))
        leaves.append(value)
        return ("",)

    return walk(tree), leaves


def _xml_nodes(model: DataModel, root: ET.Element) -> list[TerminalNode] | None:
    modules = {m.xml_namespace: m.main_module[0] for m in model.schema_data.modules.values()}
    out: list[TerminalNode] = []

    def walk(parent: InternalNode, node: ET.Element) -> bool:
        namespace, _, name = node.tag[1:].partition("}")
        schema = parent.get_data_child(name, modules.get(namespace))
        if schema is None:
            return False
        if isinstance(schema, TerminalNode):
            out.append(schema)
            return not list(node)
        return isinstance(schema, InternalNode) and all(walk(schema, c) for c in node)

    return out if all(walk(model.schema, c) for c in root) else None


def _json_nodes(model: DataModel, tree: dict[str, Any]) -> list[TerminalNode] | None:
    out: list[TerminalNode] = []

    def member(parent: InternalNode, name: str, value: Any) -> bool:
        module, _, local = name.rpartition(":")
        schema: SchemaNode | None = parent.get_data_child(local, module or None)
        if isinstance(schema, TerminalNode):
            scalars = value if isinstance(value, list) else [value]
            out.extend(schema for _ in scalars)
            return not any(isinstance(v, (dict, list)) for v in scalars)
        if not isinstance(schema, InternalNode):
            return False
        entries = value if isinstance(value, list) else [value]
        return all(isinstance(e, dict) and obj(schema, e) for e in entries)

    def obj(parent: InternalNode, value: dict[str, Any]) -> bool:
        return all(member(parent, name, sub) for name, sub in value.items())

    return out if obj(model.schema, tree) else None


def _fits(node: TerminalNode, value: Any) -> bool:
    """Whether the leaf's type takes the value (anything doubtful: no, the full check decides)."""
    try:
        parsed = node.type.from_xml(value) if isinstance(value, ET.Element) else node.type.from_raw(value)
        return parsed is not None and (isinstance(node.type, UnionType) or parsed in node.type)
    except (YangsonException, ValueError, TypeError, AttributeError):
        return False


def known_valid(model: DataModel, shape: Shape, leaves: list[Any]) -> bool:
    """Whether a payload of a shape validated before has every leaf of its type."""
    with _LOCK:
        nodes = _KNOWN.get((id(model), shape))
    return nodes is not None and len(nodes) == len(leaves) and all(map(_fits, nodes, leaves))


def learn(model: DataModel, shape: Shape, payload: ET.Element | dict[str, Any]) -> None:
    """Remember a shape yangson found valid, with the schema node of each of its leaves."""
    nodes = _xml_nodes(model, payload) if isinstance(payload, ET.Element) else _json_nodes(model, payload)
    if nodes is None:
        return
    with _LOCK:
        if len(_KNOWN) >= _KNOWN_SIZE:
            _KNOWN.clear()
        _KNOWN[(id(model), shape)] = tuple(nodes)
