"""The OpenConfig router model: schema, initial running config and simple operational state."""

from __future__ import annotations

import copy
import zlib
from xml.sax.saxutils import escape

from lxml import etree

from sims.models.base import NC_NS, DeviceModel, parse_data
from sims.schema import BOOLEAN, UINT8, UINT16, UINT32, UINT64, Schema, enum, uint

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

SCHEMA = Schema(
    keys={
        f"{{{IF}}}interface": ("name",),
        f"{{{IF}}}subinterface": ("index",),
        f"{{{IP}}}address": ("ip",),
        f"{{{NI}}}network-instance": ("name",),
        f"{{{NI}}}interface": ("id",),
        f"{{{NI}}}protocol": ("identifier", "name"),
        f"{{{NI}}}neighbor": ("neighbor-address",),
        f"{{{QOS}}}interface": ("interface-id",),
        f"{{{QOS}}}queue": ("name",),
        f"{{{QOS}}}scheduler-policy": ("name",),
        f"{{{QOS}}}scheduler": ("sequence",),
        f"{{{QOS}}}input": ("id",),
        f"{{{RPOL}}}policy-definition": ("name",),
        f"{{{RPOL}}}statement": ("name",),
    },
    leaves={
        f"{{{IF}}}enabled": BOOLEAN,
        f"{{{IF}}}mtu": UINT16,
        f"{{{IF}}}index": UINT32,
        f"{{{IF}}}type": enum(
            "ethernetCsmacd", "softwareLoopback", "l3ipvlan", "l2vlan", "ieee8023adLag", "tunnel", "other"
        ),
        f"{{{IP}}}prefix-length": uint(32),
        f"{{{IP}}}enabled": BOOLEAN,
        f"{{{IP}}}mtu": uint(65535, 68),
        f"{{{VLAN}}}vlan-id": uint(4094, 1),
        f"{{{NI}}}type": enum("DEFAULT_INSTANCE", "L3VRF", "L2VSI", "L2P2P", "L2L3"),
        f"{{{NI}}}enabled": BOOLEAN,
        f"{{{NI}}}peer-as": UINT32,
        f"{{{NI}}}as": UINT32,
        f"{{{QOS}}}priority": enum("STRICT"),
        f"{{{QOS}}}sequence": UINT32,
        f"{{{QOS}}}type": enum("ONE_RATE_TWO_COLOR", "TWO_RATE_THREE_COLOR"),
        f"{{{QOS}}}input-type": enum("QUEUE", "IN_PROFILE", "OUT_PROFILE"),
        f"{{{QOS}}}weight": UINT64,
        f"{{{QOS}}}cir": UINT64,
        f"{{{QOS}}}bc": UINT32,
        f"{{{QOS}}}queue-id": UINT8,
    },
    prefixes={
        SYS: "oc-sys",
        IF: "oc-if",
        IP: "oc-ip",
        VLAN: "oc-vlan",
        NI: "oc-netinst",
        QOS: "oc-qos",
        RPOL: "oc-rpol",
    },
    overrides={(f"{{{IP}}}ipv6", f"{{{IP}}}prefix-length"): uint(128)},
    not_lists=frozenset(  # the interface's policy binding; a scheduler input's queue (a leafref leaf)
        {
            (f"{{{QOS}}}output", f"{{{QOS}}}scheduler-policy"),
            (f"{{{QOS}}}config", f"{{{QOS}}}queue"),
            (f"{{{QOS}}}state", f"{{{QOS}}}queue"),
        }
    ),
    roots=frozenset(
        {
            f"{{{SYS}}}system",
            f"{{{IF}}}interfaces",
            f"{{{NI}}}network-instances",
            f"{{{QOS}}}qos",
            f"{{{RPOL}}}routing-policy",
        }
    ),
)

MODULES = (  # the upstream revisions in ../shared/reference/yang/openconfig (served by <get-schema>)
    ("http://openconfig.net/yang/interfaces", "openconfig-interfaces", "2026-01-06"),
    ("http://openconfig.net/yang/interfaces/ip", "openconfig-if-ip", "2025-06-20"),
    ("http://openconfig.net/yang/vlan", "openconfig-vlan", "2023-02-07"),
    ("http://openconfig.net/yang/system", "openconfig-system", "2026-03-31"),
    ("http://openconfig.net/yang/network-instance", "openconfig-network-instance", "2026-03-17"),
    ("http://openconfig.net/yang/qos", "openconfig-qos", "2026-04-30"),
    ("http://openconfig.net/yang/routing-policy", "openconfig-routing-policy", "2024-11-26"),
    ("urn:ietf:params:xml:ns:yang:iana-if-type", "iana-if-type", "2017-01-19"),
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
    schema=SCHEMA,
    module_capabilities=tuple(f"{ns}?module={module}&revision={rev}" for ns, module, rev in MODULES),
    initial_config=initial_config,
    operational=operational,
)
