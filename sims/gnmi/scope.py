"""The part of running a set of gNMI paths can reach, so that a Get or a Subscribe builds the state
of that part only (the whole device's state tree costs far more than the leaf a KPI check reads).

A path is followed down running by containers; at the first list entry, at a wildcard name, at a
step running does not hold (a state node the model adds) or at the path's end, the element is
copied whole. Building state on such a copy gives the same answer on the paths as building it on
the whole tree for models whose state of an element depends only on that element's own subtree
(``DeviceModel.local_state``)."""

from __future__ import annotations

import copy

from lxml import etree

from sims.device import SimDevice
from sims.edit import element_children
from sims.gnmi.paths import WILDCARD, Step, matches
from sims.schema import Schema


def reached_config(running: etree._Element, paths: list[list[Step]], schema: Schema) -> etree._Element:
    """``running`` itself when a path reaches all of it, else a copy with what ``paths`` reach."""
    if not paths or any(not steps or steps[0].name == WILDCARD for steps in paths):
        return running
    scoped = etree.Element(running.tag, attrib=dict(running.attrib), nsmap=running.nsmap)
    _copy_reached(running, scoped, paths, schema)
    return scoped


def _copy_reached(
    source: etree._Element, target: etree._Element, paths: list[list[Step]], schema: Schema
) -> None:
    for child in element_children(source):
        rests = [steps[1:] for steps in paths if matches(child, steps[0])]
        if not rests:
            continue
        if any(_whole(child, rest, source, schema) for rest in rests):
            target.append(copy.deepcopy(child))
            continue
        shell = etree.SubElement(target, child.tag, attrib=dict(child.attrib), nsmap=child.nsmap)
        _copy_reached(child, shell, rests, schema)


def _whole(node: etree._Element, rest: list[Step], parent: etree._Element, schema: Schema) -> bool:
    """Whether the rest of a path needs all of ``node``: see the module docstring."""
    if not rest or rest[0].name == WILDCARD or schema.list_keys(str(node.tag), parent):
        return True
    return not any(matches(child, rest[0]) for child in element_children(node))


def reached_state(device: SimDevice, paths: list[list[Step]]) -> etree._Element:
    """The operational tree as far as ``paths`` reach it (all of it unless the model's state is local)."""
    if not device.model.local_state:
        return device.operational()
    return device.operational(reached_config(device.datastore.running, paths, device.model.schema))
