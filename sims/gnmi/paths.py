"""gNMI paths: text syntax, origins and prefixes, and their mapping onto datastore trees.

A path step matches an element by local name (and by namespace when module-qualified, as in
``openconfig-interfaces:interfaces`` or a module-name origin); key predicates match the list
entry's key leaves, comparing identity values without their prefix; ``*`` is a wildcard.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import grpc
from lxml import etree
from pygnmi.spec.v080 import gnmi_pb2

from sims.edit import element_children
from sims.gnmi.modules import NEUTRAL_ORIGINS, GnmiError, ModuleTable
from sims.schema import Schema

WILDCARD = "*"


def _invalid(message: str) -> GnmiError:
    return GnmiError(grpc.StatusCode.INVALID_ARGUMENT, message)


def _split_elems(text: str) -> Iterator[str]:
    """Split at ``/`` outside ``[...]``; ``\\`` escapes the next character inside brackets."""
    current: list[str] = []
    depth, escaped = 0, False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\" and depth:
            current.append(char)
            escaped = True
        elif char == "[":
            depth += 1
            current.append(char)
        elif char == "]":
            depth -= 1
            if depth < 0:
                raise _invalid(f"unbalanced ']' in path '{text}'")
            current.append(char)
        elif char == "/" and not depth:
            yield "".join(current)
            current = []
        else:
            current.append(char)
    if depth or escaped:
        raise _invalid(f"unterminated key predicate in path '{text}'")
    yield "".join(current)


def _parse_elem(text: str) -> gnmi_pb2.PathElem:
    name, _, rest = text.partition("[")
    if not name:
        raise _invalid(f"empty path element in '{text}'")
    elem = gnmi_pb2.PathElem(name=name)
    rest = "[" + rest if rest else ""
    while rest:
        if not rest.startswith("["):
            raise _invalid(f"bad key predicate in '{text}'")
        value: list[str] = []
        key, sep, tail = rest[1:].partition("=")
        if not sep or not key:
            raise _invalid(f"key predicate without '=' in '{text}'")
        index = 0
        while index < len(tail) and tail[index] != "]":
            if tail[index] == "\\" and index + 1 < len(tail):
                index += 1
            value.append(tail[index])
            index += 1
        if index >= len(tail):
            raise _invalid(f"unterminated key predicate in '{text}'")
        elem.key[key] = "".join(value)
        rest = tail[index + 1 :]
    return elem


def parse_path(text: str) -> gnmi_pb2.Path:
    """Parse ``[origin:]/a/b[k=v]/c`` (the syntax of gnmic and the gNMI path conventions)."""
    origin = ""
    head = text.split("[", 1)[0]
    if ":/" in head and "/" not in head.split(":/", 1)[0]:
        origin, text = text.split(":", 1)
    path = gnmi_pb2.Path(origin=origin)
    for part in _split_elems(text):
        if part:
            path.elem.append(_parse_elem(part))
    return path


def format_path(path: gnmi_pb2.Path) -> str:
    """The text form of a path (keys sorted), for messages and as a stable identifier."""
    steps = []
    for elem in path.elem:
        keys = "".join(
            f"[{k}={v.replace(chr(92), chr(92) * 2).replace(']', chr(92) + ']')}]"
            for k, v in sorted(elem.key.items())
        )
        steps.append(elem.name + keys)
    body = "/" + "/".join(steps)
    return f"{path.origin}:{body}" if path.origin else body


@dataclass(frozen=True)
class Step:
    """One resolved path step: a local name, an optional namespace and key predicates."""

    name: str
    namespace: str | None = None
    keys: dict[str, str] = field(default_factory=dict)


def steps_of(prefix: gnmi_pb2.Path | None, path: gnmi_pb2.Path, modules: ModuleTable) -> list[Step]:
    """Join ``prefix`` and ``path`` into steps; the origin may name a module (pygnmi does that)."""
    elems: list[gnmi_pb2.PathElem] = []
    origin = path.origin or (prefix.origin if prefix is not None else "")
    for part in (prefix, path):
        if part is None:
            continue
        if part.element and not part.elem:  # gNMI < 0.4 string elements
            elems.extend(_parse_elem(text) for text in part.element)
        else:
            elems.extend(part.elem)
    namespace_from_origin = None
    if origin not in NEUTRAL_ORIGINS:
        if origin not in modules.by_module:
            raise _invalid(f"unsupported origin '{origin}'")
        namespace_from_origin = modules.namespace_of(origin)
    steps = []
    for index, elem in enumerate(elems):
        name, namespace = elem.name, None
        if ":" in name:
            module, name = name.split(":", 1)
            namespace = modules.namespace_of(module)
        elif index == 0:
            namespace = namespace_from_origin
        if name == "...":
            raise GnmiError(grpc.StatusCode.UNIMPLEMENTED, "'...' multi-level wildcards are not supported")
        if not name:
            raise _invalid("empty path element")
        steps.append(Step(name, namespace, dict(elem.key)))
    return steps


def plain_value(node: etree._Element) -> str:
    """A leaf's text, identity values without their XML prefix."""
    text = (node.text or "").strip()
    prefix, sep, local = text.partition(":")
    return local if sep and prefix in node.nsmap else text


def _split_tag(tag: str) -> tuple[str | None, str]:
    """A Clark tag's namespace (None without one) and local name, without building a QName."""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return None, tag


def _key_matches(entry: etree._Element, key: str, wanted: str) -> bool:
    if wanted == WILDCARD:
        return True
    for child in entry:
        if isinstance(child.tag, str) and _split_tag(child.tag)[1] == key:
            return plain_value(child) == wanted.rsplit(":", 1)[-1] or (child.text or "").strip() == wanted
    return False


def matches(node: etree._Element, step: Step) -> bool:
    """Whether ``node`` is an element ``step`` names (local name, namespace, key predicates)."""
    namespace, local = _split_tag(str(node.tag))
    if step.name != WILDCARD and local != step.name:
        return False
    if step.namespace is not None and namespace != step.namespace:
        return False
    return all(_key_matches(node, key, value) for key, value in step.keys.items())


def resolve(root: etree._Element, steps: list[Step]) -> list[etree._Element]:
    """Every element of ``root``'s tree matching ``steps`` (``root`` itself for no steps)."""
    nodes = [root]
    for step in steps:
        nodes = [child for node in nodes for child in element_children(node) if matches(child, step)]
    return nodes


def has_wildcards(steps: list[Step]) -> bool:
    """Whether a path may match several elements."""
    return any(step.name == WILDCARD or WILDCARD in step.keys.values() for step in steps)


def root_tag(steps: list[Step], schema: Schema) -> str:
    """The Clark tag of the top-level element a path starts with; INVALID_ARGUMENT if unknown."""
    step = steps[0]
    if step.namespace is not None:
        tag = f"{{{step.namespace}}}{step.name}"
        if schema.knows_root(tag):
            return tag
    else:
        found = [tag for tag in schema.roots if etree.QName(tag).localname == step.name]
        if len(found) == 1:
            return found[0]
    raise _invalid(f"unknown top-level element '{step.name}'")


def ensure(root: etree._Element, steps: list[Step], schema: Schema) -> etree._Element:
    """The element at a concrete path, creating missing containers and list entries."""
    if has_wildcards(steps):
        raise _invalid("wildcards are not allowed in Set paths")
    node = root
    for index, step in enumerate(steps):
        found = [child for child in element_children(node) if matches(child, step)]
        if found:
            keys = schema.list_keys(str(found[0].tag), node)
            if keys and set(step.keys) != set(keys):
                raise _invalid(f"list '{step.name}' needs key(s) {', '.join(keys)} in the path")
            node = found[0]
            continue
        if index == 0:
            tag = root_tag(steps, schema)
        else:
            namespace = step.namespace or etree.QName(node).namespace
            tag = f"{{{namespace}}}{step.name}" if namespace else step.name
        nsmap = (
            {None: etree.QName(tag).namespace} if etree.QName(tag).namespace != node.nsmap.get(None) else None
        )
        child = etree.SubElement(node, tag, nsmap=nsmap)
        keys = schema.list_keys(tag, node)
        if step.keys and set(step.keys) != set(keys):
            raise _invalid(f"'{step.name}' is keyed by {', '.join(keys) or 'nothing'}")
        for key in keys:
            if key not in step.keys:
                raise _invalid(f"list '{step.name}' needs key '{key}' in the path")
            namespace = etree.QName(tag).namespace
            etree.SubElement(child, f"{{{namespace}}}{key}" if namespace else key).text = step.keys[key]
        node = child
    return node


def path_of(node: etree._Element, schema: Schema) -> gnmi_pb2.Path:
    """The concrete gNMI path of an element (below the ``<data>`` root)."""
    elems: list[gnmi_pb2.PathElem] = []
    current: etree._Element | None = node
    while current is not None and current.getparent() is not None:
        elem = gnmi_pb2.PathElem(name=etree.QName(current).localname)
        for key in schema.list_keys(str(current.tag), current.getparent()):
            namespace = etree.QName(current).namespace
            key_node = current.find(f"{{{namespace}}}{key}" if namespace else key)
            if key_node is not None:
                elem.key[key] = plain_value(key_node)
        elems.append(elem)
        current = current.getparent()
    return gnmi_pb2.Path(elem=list(reversed(elems)))
