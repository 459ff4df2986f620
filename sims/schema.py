"""A small data-model description per device model: list keys and typed leaves.

Element names are Clark tags (``{namespace}local``). Elements that are not described here are
leaves when they have no child elements, containers otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from sims.errors import RpcError

Rule = Callable[["Schema", etree._Element], list[RpcError]]
"""A cross-leaf constraint (YANG ``must``-like): ``rule(schema, data_root)`` returns the violations."""


@dataclass(frozen=True)
class LeafType:
    """The value space of a leaf: ``kind`` is one of boolean, int, string, enum."""

    kind: str = "string"
    minimum: int | None = None
    maximum: int | None = None
    values: frozenset[str] = frozenset()
    pattern: str | None = None

    def check(self, text: str) -> str | None:
        """Return why ``text`` is not a valid value, or None if it is."""
        value = text.strip()
        if self.kind == "boolean":
            return None if value in ("true", "false") else f"'{value}' is not a boolean"
        if self.kind == "int":
            if not re.fullmatch(r"[+-]?\d+", value):
                return f"'{value}' is not an integer"
            number = int(value)
            if (self.minimum is not None and number < self.minimum) or (
                self.maximum is not None and number > self.maximum
            ):
                return f"'{value}' is out of range {self.minimum}..{self.maximum}"
            return None
        if self.kind == "enum":
            local = value.rsplit(":", 1)[-1] if ":" in value and not value[0].isdigit() else value
            if value in self.values or local in self.values:
                return None
            return f"'{value}' is not one of {', '.join(sorted(self.values))}"
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            return f"'{value}' does not match {self.pattern}"
        return None


BOOLEAN = LeafType("boolean")
UINT8 = LeafType("int", 0, 255)
UINT16 = LeafType("int", 0, 65535)
UINT32 = LeafType("int", 0, 4294967295)
UINT64 = LeafType("int", 0, 18446744073709551615)


def uint(maximum: int, minimum: int = 0) -> LeafType:
    """An unsigned integer leaf type with a range."""
    return LeafType("int", minimum, maximum)


def enum(*values: str) -> LeafType:
    """An enumeration (or identityref, compared without its prefix) leaf type."""
    return LeafType("enum", values=frozenset(values))


@dataclass(frozen=True)
class Schema:
    """List keys and leaf types of one device model, plus the prefixes used in error paths."""

    keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    leaves: dict[str, LeafType] = field(default_factory=dict)
    prefixes: dict[str, str] = field(default_factory=dict)
    roots: frozenset[str] = frozenset()
    overrides: dict[tuple[str, str], LeafType] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()
    state: frozenset[str] = frozenset()
    not_lists: frozenset[tuple[str, str]] = frozenset()
    """(parent tag, tag) where a tag that is a list elsewhere is a container or a leaf, e.g.
    OpenConfig QoS's ``output/scheduler-policy`` beside the ``scheduler-policies/scheduler-policy``
    list, or a scheduler input's ``config/queue`` leaf beside the ``queues/queue`` list."""

    def is_state(self, tag: str) -> bool:
        """Whether an element is operational state (``config false``) besides OpenConfig ``state``
        containers: the Clark tags listed in ``state``, e.g. a 3GPP model's KPI container."""
        return tag in self.state

    def check_rules(self, root: etree._Element) -> list[RpcError]:
        """Violations of the model's cross-leaf rules in a whole ``<data>`` tree (validate/commit)."""
        return [error for rule in self.rules for error in rule(self, root)]

    def knows_root(self, tag: str) -> bool:
        """Whether a top-level element is part of the model (every one is if ``roots`` is empty)."""
        return not self.roots or tag in self.roots

    def list_keys(self, tag: str, parent: str | None = None) -> tuple[str, ...]:
        """Key leaf names (local names) of a list element, empty for non-lists (``parent``: the
        parent's tag, where known, tells a same-named container apart)."""
        if parent is not None and (parent, tag) in self.not_lists:
            return ()
        return self.keys.get(tag, ())

    def check_leaf(self, leaf: etree._Element) -> str | None:
        """Return why a leaf's value is invalid, or None.

        ``overrides[(ancestor_tag, tag)]`` wins over ``leaves[tag]`` below such an ancestor.
        """
        tag = str(leaf.tag)
        leaf_type = self.leaves.get(tag)
        if self.overrides:
            for ancestor in leaf.iterancestors():
                override = self.overrides.get((str(ancestor.tag), tag))
                if override is not None:
                    leaf_type = override
                    break
        return None if leaf_type is None else leaf_type.check(leaf.text or "")

    def prefix(self, namespace: str) -> str:
        """The prefix used for a namespace in error paths."""
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
        up = node.getparent()
        for key in self.list_keys(node.tag, None if up is None else str(up.tag)) if len(node) else ():
            key_node = node.find(f"{{{qname.namespace}}}{key}" if qname.namespace else key)
            if key_node is not None:
                key_name = f"{prefix}:{key}" if prefix else key
                predicates += f"[{key_name}='{(key_node.text or '').strip()}']"
        return name + predicates
