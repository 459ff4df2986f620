"""A device model's data tree as the simulators use it: containers, lists with their keys, typed
leaves, and which nodes are state (``config false``). Derived from YANG (``sims.schema_yang``).

Element names are Clark tags (``{namespace}local``). An element is placed in the tree by the tags
of its ancestors below its envelope: the document's root, or the nearest element in the NETCONF
base namespace (``<data>``, ``<config>`` inside an ``<rpc>``). Choices and cases are not in the
XML, so they are not in this tree either.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from lxml import etree

from sims.errors import RpcError

Rule = Callable[["Schema", etree._Element], list[RpcError]]
"""A cross-leaf constraint the YANG does not state: ``rule(schema, data_root)`` returns violations."""

Bound = int | Decimal
_NC = "{urn:ietf:params:xml:ns:netconf:base:1.0}"
_MEMO_SIZE = 4096  # values remembered per leaf type


def _is_envelope(element: etree._Element) -> bool:
    """Whether an element holds data rather than being data (a root, or NETCONF's own elements)."""
    return element.getparent() is None or str(element.tag).startswith(_NC)


@functools.cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@dataclass(frozen=True)
class LeafType:
    """The value space of a leaf.

    ``kind``: boolean, int, decimal, enum, identity, bits, string, empty, union or any (binary,
    instance-identifier: not checked). ``ranges`` bound int and decimal, ``lengths`` strings;
    ``patterns`` are Python regexes (``invert`` for YANG's invert-match) that must match whole;
    ``values`` are enum names, bit names or identity names (local, as derived from the bases);
    ``members`` the types of a union; ``wide``: a 64-bit integer or a decimal64 (a string in JSON_IETF).
    """

    kind: str = "string"
    ranges: tuple[tuple[Bound, Bound], ...] = ()
    lengths: tuple[tuple[int, int], ...] = ()
    patterns: tuple[tuple[str, bool], ...] = ()
    values: frozenset[str] = frozenset()
    members: tuple[LeafType, ...] = ()
    wide: bool = False
    _memo: dict[str, str | None] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def check(self, text: str) -> str | None:
        """Return why ``text`` is not a valid value, or None if it is (remembered per value: a
        commit re-checks every leaf of the datastore, and most values repeat)."""
        try:
            return self._memo[text]
        except KeyError:
            pass
        problem = self._check(text.strip())
        if len(self._memo) < _MEMO_SIZE:
            self._memo[text] = problem
        return problem

    def __getstate__(self) -> dict[str, object]:
        return {**self.__dict__, "_memo": {}}

    def _check(self, value: str) -> str | None:
        if self.kind == "union":
            problems = [member._check(value) for member in self.members]
            return None if None in problems else f"'{value}' matches no member of the union ({problems[0]})"
        check = getattr(self, f"_check_{self.kind}", None)
        return None if check is None else check(value)

    def _check_boolean(self, value: str) -> str | None:
        return None if value in ("true", "false") else f"'{value}' is not a boolean"

    def _check_empty(self, value: str) -> str | None:
        return None if not value else f"'{value}': the leaf is of type empty"

    def _check_int(self, value: str) -> str | None:
        if not re.fullmatch(r"[+-]?\d+", value):
            return f"'{value}' is not an integer"
        return self._in_ranges(int(value), value)

    def _check_decimal(self, value: str) -> str | None:
        try:
            number = Decimal(value) if re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", value) else None
        except InvalidOperation:
            number = None
        return f"'{value}' is not a decimal number" if number is None else self._in_ranges(number, value)

    def _in_ranges(self, number: Bound, value: str) -> str | None:
        if not self.ranges or any(low <= number <= high for low, high in self.ranges):
            return None
        return f"'{value}' is out of range {self.range_text()}"

    def range_text(self) -> str:
        """The ranges as YANG writes them (``1..4094``)."""
        return " | ".join(f"{low}" if low == high else f"{low}..{high}" for low, high in self.ranges)

    def _check_enum(self, value: str) -> str | None:
        if value in self.values:
            return None
        return f"'{value}' is not one of {', '.join(sorted(self.values))}"

    def _check_identity(self, value: str) -> str | None:
        if value.rsplit(":", 1)[-1] in self.values:  # compared without its prefix
            return None
        return f"'{value}' is not one of {', '.join(sorted(self.values))}"

    def _check_bits(self, value: str) -> str | None:
        unknown = [bit for bit in value.split() if bit not in self.values]
        return f"unknown bit(s) {', '.join(unknown)}" if unknown else None

    def _check_string(self, value: str) -> str | None:
        if self.lengths and not any(low <= len(value) <= high for low, high in self.lengths):
            return f"'{value}' has a length outside {self.lengths}"
        for pattern, invert in self.patterns:
            if (_regex(pattern).fullmatch(value) is None) != invert:
                return f"'{value}' does not match {pattern}" + (" (inverted)" if invert else "")
        return None


@dataclass(frozen=True)
class Constraints:
    """A node's semantic constraints, as YANG XPath 1.0 expressions in yangson's print form (node
    names prefixed with their module's name; see ``Schema.xpath_namespaces``).

    ``when``: (expression, context is the parent) pairs: a node's own ``when`` has the node as
    context, an ``augment``'s or ``uses``' the data parent. ``must``: (expression, error-app-tag,
    error-message). ``leafref``: the path of a ``require-instance true`` leafref. ``unique``: per
    ``unique`` statement, the descendant paths whose values must differ between list entries."""

    when: tuple[tuple[str, bool], ...] = ()
    must: tuple[tuple[str, str | None, str | None], ...] = ()
    leafref: str | None = None
    unique: tuple[tuple[str, ...], ...] = ()
    min_elements: int = 0
    max_elements: int | None = None


CONTAINER, LIST, LEAF, LEAF_LIST, ANYDATA = "container", "list", "leaf", "leaf-list", "anydata"


@dataclass
class Node:
    """One data node of the schema tree (``children`` by Clark tag)."""

    kind: str
    config: bool = True
    keys: tuple[str, ...] = ()
    type: LeafType | None = None
    children: dict[str, Node] = field(default_factory=dict)
    mandatory: tuple[tuple[str, ...], ...] = ()
    """Paths (Clark tags, through non-presence containers) of the mandatory leaves that must be
    there whenever this node is (list keys aside; leaves under a choice or a ``when`` are not)."""
    rules: Constraints | None = None
    """The YANG ``leafref``/``when``/``must``/``unique``/``min-elements``/``max-elements`` of the
    node, checked at validate and commit (``sims.constraints``); None for the common node without."""
    counted: tuple[str, ...] = ()
    """Tags of the children whose entries are counted or compared (min/max-elements, unique)."""

    @property
    def is_list(self) -> bool:
        """A list (entries told apart by ``keys``)."""
        return self.kind == LIST


@dataclass(frozen=True)
class Schema:
    """The data tree of one device model, the prefixes used in error paths, and the cross-leaf
    rules checked on validate/commit."""

    top: dict[str, Node] = field(default_factory=dict)
    prefixes: dict[str, str] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()
    modules: dict[str, str] = field(default_factory=dict)
    """namespace -> module name of every module the model loads (identities' modules included)."""

    @functools.cached_property
    def xpath_namespaces(self) -> dict[str, str]:
        """module name -> namespace: the prefixes of the constraints' XPath expressions."""
        return {module: namespace for namespace, module in self.modules.items()}

    @property
    def roots(self) -> frozenset[str]:
        """Clark tags of the top-level data nodes."""
        return frozenset(self.top)

    def knows_root(self, tag: str) -> bool:
        """Whether a top-level element is part of the model."""
        return tag in self.top

    def node(self, element: etree._Element) -> Node | None:
        """The schema node of an element (its document's root element is above the data tree)."""
        path: list[str] = []
        current: etree._Element | None = element
        while current is not None and not _is_envelope(current):
            path.append(str(current.tag))
            current = current.getparent()
        return self.node_at(path[::-1])

    def node_at(self, tags: list[str]) -> Node | None:
        """The schema node at a path of Clark tags from the top."""
        children, found = self.top, None
        for tag in tags:
            found = children.get(tag)
            if found is None:
                return None
            children = found.children
        return found

    def child(self, parent: etree._Element | None, tag: str) -> Node | None:
        """The schema node of a ``tag`` element under ``parent`` (None: at the top)."""
        if parent is None or _is_envelope(parent):
            return self.top.get(tag)
        up = self.node(parent)
        return None if up is None else up.children.get(tag)

    def list_keys(self, tag: str, parent: etree._Element | None) -> tuple[str, ...]:
        """Key leaf names (local names) of a ``tag`` list under ``parent``; empty for non-lists."""
        node = self.child(parent, tag)
        return node.keys if node is not None and node.is_list else ()

    def is_state(self, element: etree._Element) -> bool:
        """Whether an element is operational state (``config false``)."""
        node = self.node(element)
        return node is not None and not node.config

    def check_leaf(self, leaf: etree._Element, node: Node | None = None) -> str | None:
        """Return why a leaf's value is invalid, or None (also for a node the schema lacks)."""
        node = node if node is not None else self.node(leaf)
        if node is None or node.type is None:
            return None
        return node.type.check(leaf.text or "")

    def check_rules(self, root: etree._Element) -> list[RpcError]:
        """Violations of the model's cross-leaf rules in a whole ``<data>`` tree (validate/commit)."""
        return [error for rule in self.rules for error in rule(self, root)]

    def prefix(self, namespace: str) -> str:
        """The prefix used for a namespace in error paths (the module's own prefix)."""
        return self.prefixes.get(namespace, "")

    def path_of(self, element: etree._Element, stop: etree._Element | None = None) -> str:
        """An XPath-like instance identifier of ``element`` (ancestors up to ``stop`` excluded)."""
        steps: list[str] = []
        node: etree._Element | None = element
        while node is not None and node is not stop and isinstance(node.tag, str):
            steps.append(self._step(node))
            node = node.getparent()
        return "/" + "/".join(reversed(steps))

    def path_namespaces(self, element: etree._Element) -> dict[str, str]:
        """prefix -> namespace for the prefixes a path of ``element`` uses."""
        result: dict[str, str] = {}
        for node in [element, *element.iterancestors()]:
            namespace = etree.QName(node).namespace
            if namespace and self.prefix(namespace):
                result[self.prefix(namespace)] = namespace
        return result

    def _step(self, node: etree._Element) -> str:
        qname = etree.QName(node)
        prefix = self.prefix(qname.namespace or "")
        name = f"{prefix}:{qname.localname}" if prefix else qname.localname
        predicates = ""
        for key in self.list_keys(str(node.tag), node.getparent()) if len(node) else ():
            key_node = node.find(f"{{{qname.namespace}}}{key}" if qname.namespace else key)
            if key_node is not None:
                key_name = f"{prefix}:{key}" if prefix else key
                predicates += f"[{key_name}='{(key_node.text or '').strip()}']"
        return name + predicates
