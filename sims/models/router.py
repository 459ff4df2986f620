"""The OpenConfig router model: its YANG, initial running config and simple operational state."""

from __future__ import annotations

import copy
import zlib
from xml.sax.saxutils import escape

from lxml import etree

from sims.models.base import NC_NS, DeviceModel, parse_data
from sims.yanglib import YangSpec

SYS = "http://openconfig.net/yang/system"
IF = "http://openconfig.net/yang/interfaces"
IP = "http://openconfig.net/yang/interfaces/ip"
VLAN = "http://openconfig.net/yang/vlan"
NI = "http://openconfig.net/yang/network-instance"
QOS = "http://openconfig.net/yang/qos"
RPOL = "http://openconfig.net/yang/routing-policy"
IANAIFT = "urn:ietf:params:xml:ns:yang:iana-if-type"
NI_TYPES = "http://openconfig.net/yang/network-instance-types"

INTERFACES = ("Ethernet1", "Ethernet2", "Ethernet3", "Ethernet4")

YANG = YangSpec(  # upstream OpenConfig (sims/yang/upstream/openconfig), less what the simulator leaves out
    (
        "openconfig-interfaces",
        "openconfig-if-ip",
        "openconfig-vlan",
        "openconfig-system",
        "openconfig-network-instance",
        "openconfig-qos",
        "openconfig-routing-policy",
        "iana-if-type",
    ),
    deviations="rom-sim-router-deviations",
)


def _interface_xml(name: str) -> str:
    return (
        f"<interface><name>{name}</name><config><name>{name}</name>"
        f'<type xmlns:ianaift="{IANAIFT}">ianaift:ethernetCsmacd</type>'
        "<enabled>true</enabled></config></interface>"
    )


def initial_config(hostname: str) -> etree._Element:
    """The factory running config of a router called ``hostname``."""
    interfaces = "".join(_interface_xml(name) for name in INTERFACES)
    return parse_data(
        f'<data xmlns="{NC_NS}">'
        f'<system xmlns="{SYS}"><config><hostname>{escape(hostname)}</hostname></config></system>'
        f'<interfaces xmlns="{IF}">{interfaces}</interfaces>'
        f'<network-instances xmlns="{NI}"><network-instance><name>default</name>'
        f'<config><name>default</name><type xmlns:oc-ni-types="{NI_TYPES}">'
        "oc-ni-types:DEFAULT_INSTANCE</type></config></network-instance></network-instances>"
        "</data>"
    )


def _leaf(parent: etree._Element, tag: str, text: str) -> None:
    etree.SubElement(parent, tag).text = text


def _interface_state(interface: etree._Element, uptime: float) -> None:
    name = interface.findtext(f"{{{IF}}}name", "").strip()
    enabled = interface.findtext(f"{{{IF}}}config/{{{IF}}}enabled", "true").strip() != "false"
    state = etree.SubElement(interface, f"{{{IF}}}state")
    _leaf(state, f"{{{IF}}}name", name)
    _leaf(state, f"{{{IF}}}enabled", "true" if enabled else "false")
    _leaf(state, f"{{{IF}}}admin-status", "UP" if enabled else "DOWN")
    _leaf(state, f"{{{IF}}}oper-status", "UP" if enabled else "DOWN")
    rate = 10_000 + zlib.crc32(name.encode()) % 90_000  # bytes per second, stable per name
    counters = etree.SubElement(state, f"{{{IF}}}counters")
    octets = int(rate * uptime)
    for direction, share in (("in", 1.0), ("out", 0.8)):
        _leaf(counters, f"{{{IF}}}{direction}-octets", str(int(octets * share)))
        _leaf(counters, f"{{{IF}}}{direction}-pkts", str(int(octets * share) // 500))
        _leaf(counters, f"{{{IF}}}{direction}-errors", "0")
        _leaf(counters, f"{{{IF}}}{direction}-discards", "0")


def _neighbor_state(neighbor: etree._Element) -> None:
    enabled = neighbor.findtext(f"{{{NI}}}config/{{{NI}}}enabled", "true").strip() != "false"
    state = etree.SubElement(neighbor, f"{{{NI}}}state")
    _leaf(state, f"{{{NI}}}neighbor-address", neighbor.findtext(f"{{{NI}}}neighbor-address", "").strip())
    _leaf(state, f"{{{NI}}}session-state", "ESTABLISHED" if enabled else "IDLE")


def operational(running: etree._Element, uptime: float) -> etree._Element:
    """Running config plus ``state`` containers for interfaces, the system and BGP neighbors."""
    data = copy.deepcopy(running)
    for interface in data.iterfind(f"{{{IF}}}interfaces/{{{IF}}}interface"):
        _interface_state(interface, uptime)
    system = data.find(f"{{{SYS}}}system")
    if system is not None:
        state = etree.SubElement(system, f"{{{SYS}}}state")
        _leaf(state, f"{{{SYS}}}hostname", system.findtext(f"{{{SYS}}}config/{{{SYS}}}hostname", "").strip())
        _leaf(state, f"{{{SYS}}}boot-time", "0")
    for neighbor in data.iter(f"{{{NI}}}neighbor"):
        if neighbor.getparent() is not None and etree.QName(neighbor.getparent()).localname == "neighbors":
            _neighbor_state(neighbor)
    return data


ROUTER = DeviceModel(
    name="router",
    platform="rom-router",
    yang=YANG,
    initial_config=initial_config,
    operational=operational,
    local_state=True,
)
