"""gNMI Set as one transaction on a private copy of running: delete, then replace, then update.

``build_set`` is pure: it returns the new tree and the per-operation results, or raises
``GnmiError`` before anything was applied. The server swaps the tree in through the datastore,
which validates it whole (YANG types, keys, mandatory nodes and semantic constraints).
"""

from __future__ import annotations

import copy
from typing import Any

import grpc
from lxml import etree
from pygnmi.spec.v080 import gnmi_pb2

from sims.edit import element_children
from sims.gnmi.codec import Codec, decode_value
from sims.gnmi.modules import GnmiError
from sims.gnmi.paths import Step, ensure, format_path, has_wildcards, resolve, root_tag, steps_of

DELETE, REPLACE, UPDATE = (
    gnmi_pb2.UpdateResult.DELETE,
    gnmi_pb2.UpdateResult.REPLACE,
    gnmi_pb2.UpdateResult.UPDATE,
)


def _invalid(message: str) -> GnmiError:
    return GnmiError(grpc.StatusCode.INVALID_ARGUMENT, message)


def _text(steps: list[Step]) -> str:
    return "/" + "/".join(step.name + "".join(f"[{k}={v}]" for k, v in step.keys.items()) for step in steps)


def _delete(tree: etree._Element, steps: list[Step], codec: Codec) -> None:
    if not steps:
        for child in element_children(tree):
            tree.remove(child)
        return
    root_tag(steps, codec.schema)  # an unknown module is an error, an absent node is not
    for node in resolve(tree, steps):
        parent = node.getparent()
        assert parent is not None
        if _is_key(node, codec):
            raise _invalid(f"{_text(steps)}: a list key cannot be deleted on its own")
        parent.remove(node)


def _is_key(node: etree._Element, codec: Codec) -> bool:
    """Whether an element is a key leaf of the list entry holding it."""
    entry = node.getparent()
    above = codec.schema.node(entry) if entry is not None else None
    return above is not None and above.is_list and etree.QName(node).localname in above.keys


def _tags_of(steps: list[Step], codec: Codec) -> list[str]:
    return [_tag_of(steps[: index + 1], codec) for index in range(len(steps))]


def _tag_of(steps: list[Step], codec: Codec) -> str:
    """The Clark tag the last step names (namespaces inherit down the path)."""
    tag = root_tag(steps, codec.schema)
    namespace = etree.QName(tag).namespace
    for step in steps[1:]:
        namespace = step.namespace or namespace
        tag = f"{{{namespace}}}{step.name}" if namespace else step.name
    return tag


def _write(tree: etree._Element, steps: list[Step], value: Any, codec: Codec, replace: bool) -> None:
    where = _text(steps) if steps else ""
    tag = _tag_of(steps, codec) if steps and not has_wildcards(steps) else ""
    named = codec.schema.node_at(_tags_of(steps, codec)) if tag else None
    if len(steps) > 1 and not steps[-1].keys and named is not None and named.is_list:
        list_tag = tag
        parent = ensure(tree, steps[:-1], codec.schema)
        if replace:
            for old in list(parent.iterchildren(list_tag)):
                parent.remove(old)
        entries = value if isinstance(value, list) else [value]
        codec.merge(parent, {_qualified(list_tag, codec): entries}, where.rsplit("/", 1)[0])
        return
    if steps and not isinstance(value, dict):
        parent = ensure(tree, steps[:-1], codec.schema)
        if len(steps) == 1:
            raise _invalid(f"{where}: a top-level element needs a JSON object")
        codec.set_leaf(parent, tag, value, where)
        return
    target = ensure(tree, steps, codec.schema)
    if replace:
        up = target.getparent()
        keys = codec.schema.list_keys(str(target.tag), up) if up is not None else ()
        for child in element_children(target):
            if etree.QName(child).localname not in keys:
                target.remove(child)
    codec.merge(target, value, where)


def _qualified(tag: str, codec: Codec) -> str:
    qname = etree.QName(tag)
    module = codec.modules.module_of(qname.namespace)
    return f"{module}:{qname.localname}" if module else qname.localname


def build_set(
    running: etree._Element, request: gnmi_pb2.SetRequest, codec: Codec
) -> tuple[etree._Element, list[gnmi_pb2.UpdateResult]]:
    """Apply a SetRequest to a copy of ``running``; returns the new tree and the UpdateResults."""
    tree = copy.deepcopy(running)
    results: list[gnmi_pb2.UpdateResult] = []
    prefix = request.prefix if request.HasField("prefix") else None
    for path in request.delete:
        _delete(tree, steps_of(prefix, path, codec.modules), codec)
        results.append(gnmi_pb2.UpdateResult(path=path, op=DELETE))
    for operation, updates in ((REPLACE, request.replace), (UPDATE, request.update)):
        for update in updates:
            steps = steps_of(prefix, update.path, codec.modules)
            try:
                _write(tree, steps, decode_value(update.val), codec, replace=operation == REPLACE)
            except GnmiError as error:
                if error.message.startswith("/"):
                    raise
                raise GnmiError(error.code, f"{format_path(update.path)}: {error.message}") from None
            results.append(gnmi_pb2.UpdateResult(path=update.path, op=operation))
    return tree, results  # validated as the datastore swaps it in (``Datastore.replace_running``)
