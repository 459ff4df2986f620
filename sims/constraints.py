"""The YANG semantic constraints of a configuration (RFC 7950 §8, errors of §15): leafrefs with
``require-instance``, ``when``, ``must``, ``unique``, ``min-elements`` and ``max-elements``.

Which node carries which constraint, and the constraint's XPath, come from the device's YANG
(``sims.yang_derive``, through yangson); libxml2's XPath 1.0 engine (lxml) evaluates them on the
datastore's own tree, so only the nodes that carry a constraint cost anything. Two YANG additions
to XPath are mapped onto plain XPath: ``current()`` is the variable ``$current`` and an absolute
path starts at ``$root`` (the ``<data>`` or ``<config>`` element holding the top-level nodes).
An identity literal compared with ``=`` also matches a value written with another prefix. An
expression libxml2 cannot evaluate (YANG's ``derived-from()``, ``re-match()``, ``deref()``: no
implemented subset uses them yet) is logged once and not enforced.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable

from lxml import etree

from sims.errors import RpcError
from sims.schema import Constraints, Schema

log = logging.getLogger(__name__)
UNCHECKED = object()
"""What an expression libxml2 cannot evaluate yields: the constraint is not enforced."""
_CURRENT = re.compile(r"\bcurrent\(\s*\)")
_ABSOLUTE = re.compile(r"(^|[\s\[(,|=<>!])/(?=[\w])")
_IDENTITY_EQUALS = re.compile(r"""([^\s()\[\]=!<>]+)\s*=\s*(["'])([\w.-]+):([\w.-]+)\2""")


def xpath_text(expression: str) -> str:
    """A YANG XPath expression as plain XPath 1.0 over the datastore tree."""
    text = _CURRENT.sub("$current", expression)
    text = _ABSOLUTE.sub(r"\1$root/", text)
    return _IDENTITY_EQUALS.sub(r'(\1 = "\3:\4" or substring-after(\1, ":") = "\4")', text)


_NAME = re.compile(r"([\w.-]+):([\w.-]+)$")
Evaluate = Callable[[etree._Element, etree._Element], object]
"""A compiled expression: ``(context node, root) -> XPath result``."""
_COMPILED: dict[int, dict[str, Evaluate]] = {}


def _compiled_of(schema: Schema) -> dict[str, Evaluate]:
    """The compiled expressions of a schema (every device of a model shares its schema)."""
    return _COMPILED.setdefault(id(schema), {})


def compile_expression(expression: str, namespaces: dict[str, str]) -> Evaluate:
    """An expression ready to evaluate. A path of plain steps, relative (``../config/name``,
    most of OpenConfig's leafrefs) or absolute (``/if:interfaces/if:interface/if:name``), is
    walked child by child; the rest goes to libxml2's XPath."""
    steps = expression.split("/")
    absolute = len(steps) > 1 and steps[0] == ""
    ups = 1 if absolute else next((i for i, step in enumerate(steps) if step != ".."), len(steps))
    names = [_NAME.match(step) for step in steps[ups:]]
    if ups and names and all(name and name.group(1) in namespaces for name in names):
        tags = [f"{{{namespaces[name.group(1)]}}}{name.group(2)}" for name in names if name]

        def walk(context: etree._Element, root: etree._Element) -> object:
            node: etree._Element | None = root if absolute else context
            for _ in range(0 if absolute else ups):
                node = node.getparent() if node is not None else None
            found = [] if node is None else [node]
            for tag in tags:
                found = [child for parent in found for child in parent.iterchildren(tag)]
            return found

        return walk
    xpath = etree.XPath(xpath_text(expression), namespaces=namespaces)
    return lambda context, root: xpath(context, root=root, current=context)


class Checker:
    """Checks the constraints of one schema's nodes on one configuration tree."""

    def __init__(self, schema: Schema, root: etree._Element) -> None:
        self.schema = schema
        self.root = root
        self._compiled = _compiled_of(schema)

    def _eval(self, expression: str, context: etree._Element) -> object:
        try:
            compiled = self._compiled.get(expression)
            if compiled is None:
                compiled = compile_expression(expression, self.schema.xpath_namespaces)
                self._compiled[expression] = compiled
            return compiled(context, self.root)
        except etree.XPathError as exc:
            log.warning("YANG constraint %r not enforced: %s", expression, exc)
            self._compiled[expression] = lambda context, root: UNCHECKED
            return UNCHECKED

    def node(self, element: etree._Element, rules: Constraints) -> list[RpcError]:
        """Violations of ``when``, ``must`` and ``leafref`` at one instance node."""
        for expression, on_parent in rules.when:
            context = element.getparent() if on_parent else element
            if context is not None and not self._eval(expression, context):  # UNCHECKED is true
                text = f"when condition is false: {expression}"
                return [self._error(element, "operation-failed", None, text)]
        errors = []
        for expression, app_tag, message in rules.must:
            if not self._eval(expression, element):
                text = message or f"must condition is false: {expression}"
                errors.append(self._error(element, "operation-failed", app_tag or "must-violation", text))
        if rules.leafref is not None:
            value = (element.text or "").strip()
            targets = self._eval(rules.leafref, element)
            found = _elements(targets)
            if targets is not UNCHECKED and not any((target.text or "").strip() == value for target in found):
                text = f"'{value}' refers to no instance of {rules.leafref}"
                errors.append(self._error(element, "data-missing", "instance-required", text))
        return errors

    def entries(self, parent: etree._Element, tag: str, rules: Constraints) -> list[RpcError]:
        """Violations of ``min-elements``, ``max-elements`` and ``unique`` by the ``tag`` entries
        of one parent (checked where the parent exists)."""
        entries = list(parent.iterchildren(tag))
        name = etree.QName(tag).localname
        if len(entries) < rules.min_elements:
            text = f"'{name}' has {len(entries)} entries, at least {rules.min_elements} needed"
            return [self._error(parent, "operation-failed", "too-few-elements", text, name)]
        if rules.max_elements is not None and len(entries) > rules.max_elements:
            text = f"'{name}' has {len(entries)} entries, at most {rules.max_elements} allowed"
            return [self._error(entries[rules.max_elements], "operation-failed", "too-many-elements", text)]
        errors = []
        for paths in rules.unique:
            seen: Counter[tuple[str, ...]] = Counter()
            for entry in entries:
                values = tuple(self._value(path, entry) for path in paths)
                if "" in values:  # an entry lacking one of the leaves takes no part (RFC 7950 §7.8.3)
                    continue
                seen[values] += 1
                if seen[values] == 2:
                    text = f"entries of '{name}' share the values {values} of unique {' '.join(paths)}"
                    errors.append(self._error(entry, "operation-failed", "data-not-unique", text))
        return errors

    def _value(self, path: str, entry: etree._Element) -> str:
        found = _elements(self._eval(path, entry))
        return (found[0].text or "").strip() if found else ""

    def _error(
        self, element: etree._Element, tag: str, app_tag: str | None, message: str, bad: str | None = None
    ) -> RpcError:
        return RpcError(
            tag=tag,
            message=message,
            path=self.schema.path_of(element, stop=self.root),
            path_ns=self.schema.path_namespaces(element),
            info={"bad-element": bad or etree.QName(element).localname},
            app_tag=app_tag,
        )


def _elements(result: object) -> list[etree._Element]:
    return [item for item in result if isinstance(item, etree._Element)] if isinstance(result, list) else []
