"""gNMI Get: views of a device (config, state, all) and the notifications answering a GetRequest."""

from __future__ import annotations

import copy
import time

import grpc
from lxml import etree
from pygnmi.spec.v080 import gnmi_pb2

from sims.device import SimDevice
from sims.edit import element_children
from sims.gnmi.codec import Codec
from sims.gnmi.modules import GnmiError
from sims.gnmi.paths import Step, format_path, has_wildcards, path_of, resolve, root_tag, steps_of
from sims.gnmi.scope import reached_state
from sims.schema import Schema

DataType = gnmi_pb2.GetRequest.DataType
STATE_CONTAINER = "state"


def _keep_state(node: etree._Element, schema: Schema) -> bool:
    """Prune ``node`` to its state subtrees (``config false`` in the model's YANG: OpenConfig
    ``state`` containers, 3GPP ``operationalState``, the ``kpis``), plus the list keys leading to
    them; False if nothing is left."""
    keys = schema.list_keys(str(node.tag), node.getparent())
    kept = False
    for child in element_children(node):
        local = etree.QName(child).localname
        if local == STATE_CONTAINER or schema.is_state(child):
            kept = True
        elif element_children(child):
            if _keep_state(child, schema):
                kept = True
            else:
                node.remove(child)
        elif local not in keys:
            node.remove(child)
    return kept


def state_view(operational: etree._Element, schema: Schema) -> etree._Element:
    """Only the state (non-config) part of an operational tree."""
    tree = copy.deepcopy(operational)
    for top in element_children(tree):
        if not _keep_state(top, schema):
            tree.remove(top)
    return tree


def view(device: SimDevice, data_type: int, paths: list[list[Step]] | None = None) -> etree._Element:
    """The tree a Get of ``data_type`` reads; with ``paths``, built only as far as they reach."""
    if data_type == DataType.CONFIG:
        return device.datastore.running
    operational = device.operational() if paths is None else reached_state(device, paths)
    if data_type in (DataType.STATE, DataType.OPERATIONAL):
        return state_view(operational, device.model.schema)
    if data_type == DataType.ALL:
        return operational
    raise GnmiError(grpc.StatusCode.INVALID_ARGUMENT, f"unknown data type {data_type}")


def build_get(device: SimDevice, request: gnmi_pb2.GetRequest, codec: Codec) -> list[gnmi_pb2.Notification]:
    """One notification per requested path; NOT_FOUND for a concrete path without data."""
    if request.use_models:
        known = {model.name for model in codec.modules.models}
        unknown = [model.name for model in request.use_models if model.name not in known]
        if unknown:
            raise GnmiError(grpc.StatusCode.NOT_FOUND, f"unsupported models: {', '.join(unknown)}")
    prefix = request.prefix if request.HasField("prefix") else None
    paths = list(request.path) or [gnmi_pb2.Path()]
    resolved = []
    for path in paths:
        steps = steps_of(prefix, path, codec.modules)
        if steps and steps[0].name != "*":
            root_tag(steps, codec.schema)
        resolved.append((path, steps))
    tree = view(device, request.type, [steps for _path, steps in resolved])
    notifications = []
    for path, steps in resolved:
        nodes = resolve(tree, steps)
        if not nodes and not has_wildcards(steps):
            raise GnmiError(grpc.StatusCode.NOT_FOUND, f"no data at {format_path(path)}")
        notification = gnmi_pb2.Notification(timestamp=time.time_ns())
        if prefix is not None:
            notification.prefix.CopyFrom(gnmi_pb2.Path(origin=prefix.origin, target=prefix.target))
        for node in nodes:
            update_path = path_of(node, codec.schema)
            update_path.origin = path.origin
            notification.update.append(
                gnmi_pb2.Update(path=update_path, val=codec.typed(codec.to_json(node)))
            )
        notifications.append(notification)
    return notifications
