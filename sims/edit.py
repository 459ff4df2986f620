"""RFC 6241 §7.2 edit-config semantics on an lxml tree, plus whole-tree validation.

The functions here mutate the tree they are given: callers pass a private copy and swap it in
only when the edit succeeded.
"""

from __future__ import annotations

from lxml import etree

from sims.constraints import Checker
from sims.errors import RpcError
from sims.schema import Node, Schema

NC_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
OPERATION_ATTR = f"{{{NC_NS}}}operation"
OPERATIONS = frozenset({"merge", "replace", "create", "delete", "remove"})
DEFAULT_OPERATIONS = frozenset({"merge", "replace", "none"})


def element_children(node: etree._Element) -> list[etree._Element]:
    """Child elements, without comments or processing instructions."""
    return list(node.iterchildren(etree.Element))


def local_name(node: etree._Element) -> str:
    """The local part of an element's tag."""
    return etree.QName(node).localname


def _namespace(tag: str) -> str | None:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else None


def _key_tag(list_tag: str, key: str) -> str:
    namespace = _namespace(list_tag)
    return f"{{{namespace}}}{key}" if namespace else key


def _text(node: etree._Element) -> str:
    return (node.text or "").strip()


class EditApplier:
    """Applies the children of one ``<config>`` element to a datastore tree."""

    def __init__(self, schema: Schema, check_values: bool = True, continue_on_error: bool = False) -> None:
        self.schema = schema
        self.check_values = check_values
        self.continue_on_error = continue_on_error
        self.errors: list[RpcError] = []
        self._config: etree._Element | None = None

    def apply(self, tree: etree._Element, config: etree._Element, default_operation: str) -> list[RpcError]:
        """Apply the edit; raises the first error unless continuing on errors, then returns them."""
        self._config = config
        for child in element_children(config):
            self._guarded(tree, child, default_operation, self.schema.top)
        return self.errors

    # `siblings`: the schema nodes of `parent`'s children (passed down, not looked up per element)
    def _guarded(
        self, parent: etree._Element, edit: etree._Element, inherited: str, siblings: dict[str, Node]
    ) -> None:
        try:
            self._process(parent, edit, inherited, siblings)
        except RpcError as error:
            if not self.continue_on_error:
                raise
            self.errors.append(error)

    def _known(self, siblings: dict[str, Node], edit: etree._Element) -> Node:
        """The schema node of an edit element; unknown-element if the device's YANG has none, and
        invalid-value for state (``config false``) data."""
        node = siblings.get(str(edit.tag))
        if node is None:
            raise self._error("unknown-element", edit, f"unknown element '{local_name(edit)}'")
        if not node.config:
            raise self._error("invalid-value", edit, f"'{local_name(edit)}' is state data (config false)")
        return node

    def _process(
        self, parent: etree._Element, edit: etree._Element, inherited: str, siblings: dict[str, Node]
    ) -> None:
        node = self._known(siblings, edit)
        operation = self._operation(edit, inherited)
        match = self._find(parent, edit, node)
        children = element_children(edit)
        if operation in ("delete", "remove"):
            if match is None:
                if operation == "delete":
                    raise self._error("data-missing", edit, f"'{local_name(edit)}' does not exist")
                return
            parent.remove(match)
            return
        if operation == "create":
            if match is not None:
                raise self._error("data-exists", edit, f"'{local_name(edit)}' already exists")
            self._build(parent, edit, siblings)
            return
        if operation == "replace":
            new = self._build(parent, edit, siblings)
            if match is not None:
                match.addprevious(new)
                parent.remove(match)
            return
        if operation == "none":
            if not children:
                return
            if match is None:
                raise self._error("data-missing", edit, f"'{local_name(edit)}' does not exist")
            for child in children:
                self._guarded(match, child, "none", node.children)
            return
        if not children:
            self._check_leaf(edit, node)
            if match is None:
                self._build(parent, edit, siblings)
            elif not element_children(match):
                match.text = _text(edit) or None
            return
        if match is None:
            match = self._new_element(parent, edit)
        for child in children:
            self._guarded(match, child, "merge", node.children)

    def _operation(self, edit: etree._Element, inherited: str) -> str:
        value = edit.get(OPERATION_ATTR) or edit.get("operation")
        if value is None:
            return inherited
        if value not in OPERATIONS:
            error = self._error("bad-attribute", edit, f"invalid operation '{value}'")
            error.error_type = "protocol"
            error.info = {"bad-attribute": "operation", "bad-element": local_name(edit)}
            raise error
        return value

    def _find(self, parent: etree._Element, edit: etree._Element, node: Node) -> etree._Element | None:
        keys = node.keys if node.is_list and element_children(edit) else ()
        if not keys:
            return next(parent.iterchildren(edit.tag), None)
        wanted: dict[str, str] = {}
        for key in keys:
            key_node = next(edit.iterchildren(_key_tag(edit.tag, key)), None)
            if key_node is None:
                message = f"list entry '{local_name(edit)}' lacks key '{key}'"
                error = self._error("missing-element", edit, message)
                error.info = {"bad-element": key}
                raise error
            wanted[_key_tag(edit.tag, key)] = _text(key_node)
        for candidate in parent.iterchildren(edit.tag):
            if all(
                (leaf := next(candidate.iterchildren(tag), None)) is not None and _text(leaf) == value
                for tag, value in wanted.items()
            ):
                return candidate
        return None

    def _check_leaf(self, edit: etree._Element, node: Node) -> None:
        if not self.check_values:
            return
        problem = self.schema.check_leaf(edit, node)
        if problem is not None:
            raise self._error("invalid-value", edit, problem)

    def _new_element(self, parent: etree._Element, edit: etree._Element) -> etree._Element:
        nsmap: dict[str | None, str] = {}
        namespace = _namespace(edit.tag)
        if namespace and parent.nsmap.get(None) != namespace:
            nsmap[None] = namespace
        text = _text(edit)
        if ":" in text and not element_children(edit):
            prefix = text.split(":", 1)[0]
            declared = edit.nsmap.get(prefix)
            if declared and parent.nsmap.get(prefix) != declared:
                nsmap[prefix] = declared
        element = etree.SubElement(parent, edit.tag, nsmap=nsmap or None)
        for name, value in edit.attrib.items():
            if name not in (OPERATION_ATTR, "operation"):
                element.set(name, value)
        return element

    def _build(
        self, parent: etree._Element, edit: etree._Element, siblings: dict[str, Node]
    ) -> etree._Element:
        """Copy an edit subtree under ``parent`` (operations stripped, values checked)."""
        node = self._known(siblings, edit)
        if node.is_list and element_children(edit):
            self._find(parent, edit, node)  # raises missing-element when a key is absent
        element = self._new_element(parent, edit)
        children = element_children(edit)
        if not children:
            self._check_leaf(edit, node)
            element.text = _text(edit) or None
        for child in children:
            self._build(element, child, node.children)
        return element

    def _error(self, tag: str, node: etree._Element, message: str) -> RpcError:
        return RpcError(
            tag=tag,
            message=message,
            path=self.schema.path_of(node, stop=self._config),
            path_ns=self.schema.path_namespaces(node),
            info={"bad-element": local_name(node)},
        )


def validate_tree(schema: Schema, root: etree._Element) -> list[RpcError]:
    """Check a whole configuration tree against the schema: every element known and configuration,
    every list entry with its keys, every leaf a valid value; then, on a tree that passed, the YANG
    semantic constraints (``sims.constraints``) and the model's cross-leaf rules."""
    errors: list[RpcError] = []
    semantic: list[RpcError] = []
    _validate_children(schema, root, root, schema.top, errors, (Checker(schema, root), semantic))
    if not errors:
        errors = semantic
    if not errors:
        errors.extend(schema.check_rules(root))
    return errors


def _validate_children(
    schema: Schema,
    root: etree._Element,
    parent: etree._Element,
    nodes: dict[str, Node],
    errors: list[RpcError],
    semantics: tuple[Checker, list[RpcError]],
) -> None:
    """One walk of the tree: syntax errors into ``errors``, semantic ones into ``semantics[1]``."""
    checker, semantic = semantics
    for element in parent.iterchildren(etree.Element):
        node = nodes.get(str(element.tag))
        if node is None or not node.config:
            why = "unknown element" if node is None else "state data (config false) in a configuration"
            errors.append(
                _tree_error(
                    schema,
                    root,
                    element,
                    "unknown-element" if node is None else "invalid-value",
                    f"{why}: '{local_name(element)}'",
                    local_name(element),
                )
            )
            continue
        if node.rules is not None:
            semantic.extend(checker.node(element, node.rules))
        for tag in node.counted:
            rules = node.children[tag].rules
            assert rules is not None
            semantic.extend(checker.entries(element, tag, rules))
        for path in node.mandatory:
            if next(element.iterchildren(path[0]), None) is None:
                where = "/".join(etree.QName(tag).localname for tag in path)
                errors.append(
                    _tree_error(
                        schema,
                        root,
                        element,
                        "missing-element",
                        f"missing mandatory '{where}'",
                        etree.QName(path[-1]).localname,
                    )
                )
        if node.is_list and len(element):
            for key in node.keys:
                if next(element.iterchildren(_key_tag(str(element.tag), key)), None) is None:
                    errors.append(
                        _tree_error(schema, root, element, "missing-element", f"missing key '{key}'", key)
                    )
        if len(element) == 0:
            problem = node.type.check(element.text or "") if node.type is not None else None
            if problem is not None:
                errors.append(
                    _tree_error(schema, root, element, "invalid-value", problem, local_name(element))
                )
        else:
            _validate_children(schema, root, element, node.children, errors, semantics)


def _tree_error(
    schema: Schema, root: etree._Element, node: etree._Element, tag: str, message: str, bad: str
) -> RpcError:
    return RpcError(
        tag=tag,
        message=message,
        path=schema.path_of(node, stop=root),
        path_ns=schema.path_namespaces(node),
        info={"bad-element": bad},
    )
