"""Datastore trees <-> gNMI JSON values: JSON_IETF (RFC 7951) and plain JSON.

JSON_IETF qualifies a member name with its module when its namespace differs from its parent's,
writes identities as ``module:name`` and 64-bit (or untyped) numbers as strings. Plain JSON uses
bare names and numbers. Decoding accepts qualified and bare names alike.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import grpc
from lxml import etree
from pygnmi.spec.v080 import gnmi_pb2

from sims.edit import element_children
from sims.gnmi.modules import GnmiError, ModuleTable
from sims.gnmi.paths import plain_value
from sims.schema import LEAF_LIST, LIST, Schema

_INTEGER = re.compile(r"-?(0|[1-9]\d{0,18})")


def _invalid(message: str) -> GnmiError:
    return GnmiError(grpc.StatusCode.INVALID_ARGUMENT, message)


def leaves(node: etree._Element) -> Iterator[etree._Element]:
    """``node`` and its descendants that have no child elements."""
    for element in node.iter():
        if isinstance(element.tag, str) and not element_children(element):
            yield element


def decode_value(value: gnmi_pb2.TypedValue) -> Any:
    """The Python value of a TypedValue (JSON parsed); UNIMPLEMENTED for binary encodings."""
    kind = value.WhichOneof("value")
    if kind in ("json_val", "json_ietf_val"):
        try:
            return json.loads(getattr(value, kind) or b"null")
        except ValueError as exc:
            raise _invalid(f"value is not valid JSON: {exc}") from None
    if kind in ("string_val", "ascii_val", "int_val", "uint_val", "bool_val", "float_val", "double_val"):
        return getattr(value, kind)
    if kind == "decimal_val":
        return Decimal(value.decimal_val.digits).scaleb(-value.decimal_val.precision)
    if kind == "leaflist_val":
        return [decode_value(element) for element in value.leaflist_val.element]
    if kind is None:
        raise _invalid("update without a value")
    raise GnmiError(grpc.StatusCode.UNIMPLEMENTED, f"value encoding '{kind}' is not supported")


@dataclass(frozen=True)
class Codec:
    """Encoding and decoding for one model (``ietf``: JSON_IETF rather than JSON)."""

    schema: Schema
    modules: ModuleTable
    ietf: bool = True

    # -- tree to JSON ---------------------------------------------------------------------------
    def typed(self, value: Any) -> gnmi_pb2.TypedValue:
        """A TypedValue carrying ``value`` as JSON in this codec's encoding."""
        data = json.dumps(value, separators=(",", ":")).encode()
        return gnmi_pb2.TypedValue(json_ietf_val=data) if self.ietf else gnmi_pb2.TypedValue(json_val=data)

    def to_json(self, node: etree._Element) -> Any:
        """The JSON value of an element: a scalar for a leaf, an object otherwise."""
        children = element_children(node)
        if not children:
            up = node.getparent()
            if up is None or self.schema.list_keys(str(node.tag), up):
                return {}
            return self.leaf_json(node)
        namespace = etree.QName(node).namespace if node.getparent() is not None else None
        groups: dict[str, list[etree._Element]] = {}
        for child in children:
            groups.setdefault(str(child.tag), []).append(child)
        result: dict[str, Any] = {}
        for tag, members in groups.items():
            name = self._member_name(tag, namespace)
            member_node = self.schema.child(node, tag)
            if len(members) > 1 or (member_node is not None and member_node.kind in (LIST, LEAF_LIST)):
                result[name] = [self.to_json(member) for member in members]
            else:
                result[name] = self.to_json(members[0])
        return result

    def leaf_json(self, leaf: etree._Element) -> Any:
        """The JSON scalar of a leaf, typed from the schema where it knows the leaf."""
        text = (leaf.text or "").strip()
        node = self.schema.node(leaf)
        leaf_type = node.type if node is not None else None
        kind = leaf_type.kind if leaf_type is not None and leaf_type.kind in ("boolean", "int") else None
        if kind == "boolean" or (kind is None and not self.ietf and text in ("true", "false")):
            return text == "true" if text in ("true", "false") else text
        if _INTEGER.fullmatch(text) and (kind == "int" or (kind is None and not self.ietf)):
            small = leaf_type is not None and not leaf_type.wide
            return int(text) if small or not self.ietf else text
        prefix, sep, local = text.partition(":")
        if sep and prefix in leaf.nsmap:
            module = self.modules.module_of(leaf.nsmap[prefix])
            return f"{module}:{local}" if self.ietf and module else local
        return text

    def _member_name(self, tag: str, parent_namespace: str | None) -> str:
        qname = etree.QName(tag)
        if self.ietf and qname.namespace != parent_namespace:
            module = self.modules.module_of(qname.namespace)
            if module:
                return f"{module}:{qname.localname}"
        return qname.localname

    # -- JSON to tree ---------------------------------------------------------------------------
    def merge(self, target: etree._Element, value: Any, where: str) -> None:
        """Merge a JSON object into the container or list entry ``target`` (``where``: its path)."""
        if not isinstance(value, dict):
            raise _invalid(f"{where or '/'}: a container needs a JSON object, got {type(value).__name__}")
        for member, sub in value.items():
            tag = self._tag(member, target, where)
            here = f"{where}/{etree.QName(tag).localname}"
            if isinstance(sub, list) and sub and all(isinstance(item, dict) for item in sub):
                for entry in sub:
                    self._merge_entry(target, tag, entry, here)
            elif isinstance(sub, list):
                for old in list(target.iterchildren(tag)):
                    target.remove(old)
                for item in sub:
                    self.set_leaf(target, tag, item, here, append=True)
            elif isinstance(sub, dict):
                if self.schema.list_keys(tag, target):
                    self._merge_entry(target, tag, sub, here)
                    continue
                child = next(target.iterchildren(tag), None)
                self.merge(self._child(target, tag) if child is None else child, sub, here)
            else:
                self.set_leaf(target, tag, sub, here)

    def set_leaf(
        self, parent: etree._Element, tag: str, value: Any, where: str, append: bool = False
    ) -> None:
        """Set (or with ``append`` add) a leaf, checking its value against the schema."""
        if isinstance(value, dict | list):
            raise _invalid(f"{where}: a leaf needs a scalar value")
        text, extra = self._leaf_text(value)
        existing = None if append else next(parent.iterchildren(tag), None)
        if existing is not None and element_children(existing):
            raise _invalid(f"{where}: is a container, not a leaf")
        local = etree.QName(tag).localname
        above = self.schema.node(parent)
        is_key = existing is not None and above is not None and above.is_list and local in above.keys
        if is_key and existing is not None and plain_value(existing) != text.rsplit(":", 1)[-1]:
            raise _invalid(f"{where}: key value '{value}' does not match the list entry")
        namespace = etree.QName(tag).namespace
        nsmap: dict[str | None, str] = dict(extra)
        if namespace and parent.nsmap.get(None) != namespace:
            nsmap[None] = namespace
        leaf = etree.Element(tag, nsmap=nsmap or None)
        leaf.text = text or None
        if existing is not None:
            existing.addprevious(leaf)
            parent.remove(existing)
        else:
            parent.append(leaf)
        problem = self.schema.check_leaf(leaf)
        if problem is not None:
            raise _invalid(f"{where}: {problem}")

    def _leaf_text(self, value: Any) -> tuple[str, dict[str | None, str]]:
        if isinstance(value, bool):
            return ("true" if value else "false"), {}
        if value is None:
            return "", {}
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value)
        module, sep, local = text.partition(":")
        if sep and module in self.modules.by_module and local:
            namespace = self.modules.by_module[module]
            prefix = self.schema.prefix(namespace) or module
            return f"{prefix}:{local}", {prefix: namespace}
        return text, {}

    def _merge_entry(self, parent: etree._Element, tag: str, entry: dict[str, Any], where: str) -> None:
        keys = self.schema.list_keys(tag, parent)
        wanted: dict[str, str] = {}
        for key in keys:
            found = [v for k, v in entry.items() if k.rsplit(":", 1)[-1] == key]
            if not found or isinstance(found[0], dict | list):
                raise _invalid(f"{where}: list entry lacks key '{key}'")
            wanted[key] = self._leaf_text(found[0])[0].rsplit(":", 1)[-1]
        match = None
        if keys:
            for candidate in parent.iterchildren(tag):
                values = {etree.QName(c).localname: plain_value(c) for c in element_children(candidate)}
                if all(values.get(key) == value for key, value in wanted.items()):
                    match = candidate
                    break
        if match is None:
            match = self._child(parent, tag)
            for key in keys:
                key_tag = f"{{{etree.QName(tag).namespace}}}{key}" if etree.QName(tag).namespace else key
                etree.SubElement(match, key_tag).text = wanted[key]
        predicates = "".join(f"[{key}={value}]" for key, value in wanted.items())
        self.merge(match, entry, where + predicates)

    def _child(self, parent: etree._Element, tag: str) -> etree._Element:
        namespace = etree.QName(tag).namespace
        nsmap = {None: namespace} if namespace and parent.nsmap.get(None) != namespace else None
        return etree.SubElement(parent, tag, nsmap=nsmap)

    def _tag(self, member: str, parent: etree._Element, where: str) -> str:
        module, sep, local = member.partition(":")
        at_root = parent.getparent() is None
        if sep:
            tag = f"{{{self.modules.namespace_of(module)}}}{local}"
        elif not at_root:
            namespace = etree.QName(parent).namespace
            tag = f"{{{namespace}}}{member}" if namespace else member
        else:
            found = [tag for tag in self.schema.roots if etree.QName(tag).localname == member]
            if len(found) != 1:
                raise _invalid(f"{where}/{member}: unknown top-level element (qualify it with its module)")
            tag = found[0]
        if at_root and not self.schema.knows_root(tag):
            raise _invalid(f"{where}/{local or member}: unknown top-level element")
        return tag
