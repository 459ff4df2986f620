"""What a simulated device model provides: schema, capabilities, initial config, state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from sims.schema import Schema

NC_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
DATA_TAG = f"{{{NC_NS}}}data"


@dataclass(frozen=True)
class DeviceModel:
    """A device model: ``initial_config(hostname)`` and ``operational(running, uptime_s)`` build trees
    rooted at ``<data>`` in the NETCONF base namespace."""

    name: str
    platform: str
    schema: Schema
    module_capabilities: tuple[str, ...]
    initial_config: Callable[[str], etree._Element]
    operational: Callable[[etree._Element, float], etree._Element]
    writable_running: bool = False


def parse_data(xml: str) -> etree._Element:
    """Parse a ``<data>`` document written without blank text."""
    parser = etree.XMLParser(remove_blank_text=True)
    return etree.fromstring(xml.encode(), parser)
