"""Payloads shaped like one already validated are checked leaf by leaf (the fast path).

The syntax check of a fragment depends on its shape (member names, nesting, how many entries each
list has) and on each leaf's value against its type; `when` is not evaluated in fragments
(`intent.yang.check`). Payloads rendered by one template differ only in their values, so yangson
validates a shape once, in full; later payloads of that shape only have each leaf parsed and
checked by its type, as yangson does it (the type's parser, then its restrictions; a union only
needs one member type to parse it). A payload whose shape is new, or a leaf that fails, goes to
the full check, which also words the error.

A NETCONF payload's shape and leaves are read off the rendered lxml tree (yangson's own tree is
built only for the full check); each leaf's check is compiled once per shape, and its answer is
remembered per (schema node, value) — for a prefixed value with the prefix's namespace — since one
template's payloads repeat most values (bounded; the answer of a type for a value never changes).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, NamedTuple

from lxml import etree
from yangson import DataModel
from yangson.datatype import DataType, IdentityrefType, InstanceIdentifierType, LeafrefType, UnionType
from yangson.exceptions import YangsonException
from yangson.schemanode import InternalNode, SchemaNode, TerminalNode

Shape = tuple[Any, ...]
Fits = Callable[[Any], bool]
_KNOWN: dict[tuple[int, Shape], tuple[Fits, ...]] = {}
_KNOWN_SIZE = 4096
_ANSWERS: dict[tuple[Any, ...], bool] = {}  # (schema node, value): whether its type takes it
_ANSWERS_SIZE = 1 << 16
_LOCK = threading.Lock()
_END = ""  # closes an element in an XML shape


def xml_shape(config: etree._Element) -> tuple[Shape, list[etree._Element]]:
    """(the shape of an edit-config `<config>`'s content, its leaf elements in document order),
    read off the lxml tree as it is (comments and NETCONF operation attributes play no part)."""
    tags: list[str] = []
    leaves: list[etree._Element] = []
    opened = None
    for event, node in etree.iterwalk(config, events=("start", "end")):
        if event == "start":
            tags.append(node.tag)
            opened = node
        else:
            if node is opened and node is not config:  # no element between its start and end
                leaves.append(node)
            tags.append(_END)
    return tuple(tags), leaves


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


def _elements(node: etree._Element) -> list[etree._Element]:
    return [child for child in node if isinstance(child.tag, str)]


def _xml_nodes(model: DataModel, config: etree._Element) -> list[TerminalNode] | None:
    modules = {m.xml_namespace: m.main_module[0] for m in model.schema_data.modules.values()}
    out: list[TerminalNode] = []

    def walk(parent: InternalNode, node: etree._Element) -> bool:
        namespace, _, name = str(node.tag)[1:].partition("}")
        schema = parent.get_data_child(name, modules.get(namespace))
        if schema is None:
            return False
        if isinstance(schema, TerminalNode):
            out.append(schema)
            return not _elements(node)
        return isinstance(schema, InternalNode) and all(walk(schema, c) for c in _elements(node))

    return out if all(walk(model.schema, c) for c in _elements(config)) else None


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


class _Text(NamedTuple):
    """A leaf as yangson's `from_xml` reads it: its text, stripped, and for a prefixed value the
    prefix's namespace as an `xmlns:PREFIX` attribute (as `intent.yang.payload.to_etree` gives it)."""

    text: str
    attrib: dict[str, str]


def _takes(dtype: DataType, value: Any) -> bool:
    """Whether the type takes the value, as yangson decides it (anything doubtful: no, the full
    check decides): the type's parser, then its restrictions; a union's parser tries each member."""
    try:
        parsed = dtype.from_xml(value) if isinstance(value, _Text) else dtype.from_raw(value)
        return parsed is not None and (isinstance(dtype, UnionType) or parsed in dtype)
    except (YangsonException, ValueError, TypeError, AttributeError):
        return False


def _reads_prefixes(dtype: DataType) -> bool:
    """Whether a value's meaning depends on its XML namespace prefixes."""
    if isinstance(dtype, UnionType):
        return any(map(_reads_prefixes, dtype.types))
    if isinstance(dtype, LeafrefType):
        return _reads_prefixes(dtype.ref_type)
    return isinstance(dtype, (IdentityrefType, InstanceIdentifierType))


def _answer(key: tuple[Any, ...], dtype: DataType, value: Any) -> bool:
    """`_takes`, remembered per (schema node, value): one template's payloads repeat most values."""
    known = _ANSWERS.get(key)
    if known is None:
        known = _takes(dtype, value)
        if len(_ANSWERS) >= _ANSWERS_SIZE:
            _ANSWERS.clear()
        _ANSWERS[key] = known
    return known


def _xml_fits(node: TerminalNode) -> Fits:
    """The check of a leaf element against `node`'s type."""
    dtype, prefixed = node.type, _reads_prefixes(node.type)

    def fits(leaf: etree._Element) -> bool:
        text = (leaf.text or "").strip()
        prefix, sep, _ = text.partition(":")
        namespace = (leaf.nsmap.get(prefix) or "") if prefixed and sep else ""
        value = _Text(text, {f"xmlns:{prefix}": namespace} if namespace else {})
        return _answer((node, text, namespace), dtype, value)

    return fits


def _json_fits(node: TerminalNode) -> Fits:
    """The check of a JSON scalar against `node`'s type."""
    dtype = node.type

    def fits(value: Any) -> bool:
        if isinstance(value, list):  # an empty leaf's [null]
            return _takes(dtype, value)
        return _answer((node, type(value), value), dtype, value)

    return fits


def known_valid(model: DataModel, shape: Shape, leaves: list[Any]) -> bool:
    """Whether a payload of a shape validated before has every leaf of its type."""
    with _LOCK:
        checks = _KNOWN.get((id(model), shape))
    return (
        checks is not None
        and len(checks) == len(leaves)
        and all(f(v) for f, v in zip(checks, leaves, strict=True))
    )


def learn(model: DataModel, shape: Shape, payload: etree._Element | dict[str, Any]) -> None:
    """Remember a shape yangson found valid, with the check of each of its leaves."""
    if isinstance(payload, dict):
        nodes, compile_ = _json_nodes(model, payload), _json_fits
    else:
        nodes, compile_ = _xml_nodes(model, payload), _xml_fits
    if nodes is None:
        return
    checks = tuple(map(compile_, nodes))
    with _LOCK:
        if len(_KNOWN) >= _KNOWN_SIZE:
            _KNOWN.clear()
        _KNOWN[(id(model), shape)] = checks
