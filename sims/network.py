"""A small network model across a fleet (pure): links, their state, and L3VPN reachability.

An L3VPN endpoint on PE A reaches an address of PE B's endpoint in the same VRF only when both ends
are configured consistently (an enabled L3VRF of the same name, equal route-distinguisher and
import/export policies, the subinterface present, enabled and addressed) and a path of up links
joins A and B. A link end ``ethN`` maps to the device's ``EthernetN``; a disabled interface makes
its links unusable.

A node that is not a router (a UPF's N3 interface) holds the addresses of its topology label
``rom.sim/addresses`` (comma-separated): the routers' default instance (the transport's global
table) reaches them over any path of up links, with the routing protocol taken as converged.
"""

from __future__ import annotations

import ipaddress
import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from sims.models.router import IF, IP, NI
from sims.reachability import Reachability

PORT = re.compile(r"eth(\d+)")
ADDRESSES_LABEL = "rom.sim/addresses"
DEFAULT_INSTANCE = "default"


@dataclass(frozen=True)
class Link:
    """A link between ``a:a_port`` and ``b:b_port``; its id is ``"a:a_port--b:b_port"``."""

    a: str
    a_port: str
    b: str
    b_port: str

    @property
    def id(self) -> str:
        return f"{self.a}:{self.a_port}--{self.b}:{self.b_port}"

    def other(self, device: str) -> str:
        """The device at the other end."""
        return self.b if device == self.a else self.a

    def port_of(self, device: str) -> str:
        """The port of this link on ``device``."""
        return self.a_port if device == self.a else self.b_port


def _endpoint(text: str) -> tuple[str, str]:
    device, sep, port = text.partition(":")
    if not sep or not device or not port:
        raise ValueError(f"link endpoint '{text}' is not 'device:port'")
    return device, port


class Network:
    """Links between devices and whether each is up."""

    def __init__(self, links: Iterable[Link] = (), hosts: Mapping[str, str] | None = None) -> None:
        self.links: dict[str, Link] = {}
        self._down: set[str] = set()
        self.hosts: dict[str, str] = dict(hosts or {})  # address -> the device holding it
        for link in links:
            self.links[link.id] = link

    @classmethod
    def from_topology(cls, topology: Mapping[str, Any]) -> Network:
        """Links of a containerlab topology (``topology.links[].endpoints: ["a:eth1", "b:eth1"]``)."""
        network = cls()
        body = topology.get("topology") or {}
        for entry in body.get("links") or []:
            ends = entry.get("endpoints") or []
            if len(ends) == 2:
                network.add_link(ends[0], ends[1])
        for name, node in (body.get("nodes") or {}).items():
            labels = (node or {}).get("labels") or {}
            for text in str(labels.get(ADDRESSES_LABEL) or "").split(","):
                if text.strip():
                    network.add_host(text, str(name))
        return network

    def add_host(self, address: str, device: str) -> None:
        """``device`` holds ``address`` in the default instance; ValueError if it is not IPv4."""
        try:
            self.hosts[str(ipaddress.IPv4Address(address.strip()))] = device
        except ValueError:
            raise ValueError(f"{device}: '{address.strip()}' is not an IPv4 address") from None

    def add_link(self, end_a: str, end_b: str) -> Link:
        """Add a link between two ``device:port`` ends (returns the existing one if present)."""
        a, a_port = _endpoint(end_a)
        b, b_port = _endpoint(end_b)
        link = Link(a, a_port, b, b_port)
        return self.links.setdefault(link.id, link)

    def find(self, ref: str) -> Link:
        """A link by id, by ``a--b`` device pair, or by one ``device:port`` end; KeyError if none."""
        if ref in self.links:
            return self.links[ref]
        left, sep, right = ref.partition("--")
        for link in self.links.values():
            if sep and {left, right} in (
                {link.a, link.b},
                {f"{link.a}:{link.a_port}", f"{link.b}:{link.b_port}"},
            ):
                return link
            if not sep and ref in (f"{link.a}:{link.a_port}", f"{link.b}:{link.b_port}"):
                return link
        raise KeyError(f"no link '{ref}'")

    def set_up(self, link_id: str, up: bool) -> None:
        """Bring a link up or down."""
        if link_id not in self.links:
            raise KeyError(f"no link '{link_id}'")
        if up:
            self._down.discard(link_id)
        else:
            self._down.add(link_id)

    def is_up(self, link_id: str) -> bool:
        """Whether a link is up."""
        return link_id not in self._down

    def path(
        self, source: str, target: str, usable: Callable[[Link], bool] | None = None
    ) -> list[str] | None:
        """Devices on a shortest path of up (and ``usable``) links, or None."""
        if source == target:
            return [source]
        previous: dict[str, str] = {source: source}
        queue = deque([source])
        while queue:
            node = queue.popleft()
            for link in self.links.values():
                if node not in (link.a, link.b) or not self.is_up(link.id):
                    continue
                if usable is not None and not usable(link):
                    continue
                nxt = link.other(node)
                if nxt in previous:
                    continue
                previous[nxt] = node
                if nxt == target:
                    hops = [target]
                    while hops[-1] != source:
                        hops.append(previous[hops[-1]])
                    return hops[::-1]
                queue.append(nxt)
        return None


def _text(node: etree._Element | None, path: str, default: str = "") -> str:
    return default if node is None else (node.findtext(path) or default).strip()


def interface_enabled(config: etree._Element, port: str) -> bool:
    """Whether the interface behind a link port is enabled (True when the device has no such one)."""
    match = PORT.fullmatch(port)
    name = f"Ethernet{match.group(1)}" if match else port
    for interface in config.iterfind(f"{{{IF}}}interfaces/{{{IF}}}interface"):
        if _text(interface, f"{{{IF}}}name") == name:
            return _text(interface, f"{{{IF}}}config/{{{IF}}}enabled", "true") != "false"
    return True


@dataclass(frozen=True)
class VrfInterface:
    """One subinterface bound to a VRF: its addresses and why it cannot carry traffic (if so)."""

    id: str
    addresses: tuple[ipaddress.IPv4Interface, ...]
    problem: str | None


@dataclass(frozen=True)
class VrfEndpoint:
    """A VRF as configured on one device."""

    device: str
    name: str
    type: str
    enabled: bool
    rd: str
    policies: tuple[tuple[str, ...], tuple[str, ...]]
    interfaces: tuple[VrfInterface, ...]


def _subinterface(config: etree._Element, name: str, index: str) -> tuple[etree._Element | None, str | None]:
    """The subinterface (None if absent) and why it cannot carry traffic (None if it can)."""
    for interface in config.iterfind(f"{{{IF}}}interfaces/{{{IF}}}interface"):
        if _text(interface, f"{{{IF}}}name") != name:
            continue
        disabled = _text(interface, f"{{{IF}}}config/{{{IF}}}enabled", "true") == "false"
        for sub in interface.iterfind(f"{{{IF}}}subinterfaces/{{{IF}}}subinterface"):
            if _text(sub, f"{{{IF}}}index") == index:
                if disabled:
                    return sub, f"interface {name} is disabled"
                if _text(sub, f"{{{IF}}}config/{{{IF}}}enabled", "true") == "false":
                    return sub, f"subinterface {name}.{index} is disabled"
                return sub, None
        return None, f"subinterface {name}.{index} does not exist"
    return None, f"interface {name} does not exist"


def _vrf_interface(config: etree._Element, binding: etree._Element) -> VrfInterface:
    ident = _text(binding, f"{{{NI}}}id")
    name = _text(binding, f"{{{NI}}}config/{{{NI}}}interface") or ident.split(".")[0]
    index = _text(binding, f"{{{NI}}}config/{{{NI}}}subinterface", "0")
    sub, problem = _subinterface(config, name, index)
    addresses: list[ipaddress.IPv4Interface] = []
    if sub is not None:
        for address in sub.iterfind(f"{{{IP}}}ipv4/{{{IP}}}addresses/{{{IP}}}address"):
            ip = _text(address, f"{{{IP}}}config/{{{IP}}}ip") or _text(address, f"{{{IP}}}ip")
            length = _text(address, f"{{{IP}}}config/{{{IP}}}prefix-length", "32")
            try:
                addresses.append(ipaddress.IPv4Interface(f"{ip}/{length}"))
            except ValueError:
                continue
        if not addresses and problem is None:
            problem = f"subinterface {name}.{index} has no IPv4 address"
    return VrfInterface(ident, tuple(addresses), problem)


def vrf_endpoint(device: str, config: etree._Element, vrf: str) -> VrfEndpoint | None:
    """The VRF ``vrf`` of a device's running config, or None."""
    for instance in config.iterfind(f"{{{NI}}}network-instances/{{{NI}}}network-instance"):
        if _text(instance, f"{{{NI}}}name") != vrf:
            continue
        policy = f"{{{NI}}}inter-instance-policies/{{{NI}}}apply-policy/{{{NI}}}config/{{{NI}}}"
        imports = tuple(sorted(_text(node, ".") for node in instance.iterfind(policy + "import-policy")))
        exports = tuple(sorted(_text(node, ".") for node in instance.iterfind(policy + "export-policy")))
        return VrfEndpoint(
            device,
            vrf,
            _text(instance, f"{{{NI}}}config/{{{NI}}}type").rsplit(":", 1)[-1],
            _text(instance, f"{{{NI}}}config/{{{NI}}}enabled", "true") != "false",
            _text(instance, f"{{{NI}}}config/{{{NI}}}route-distinguisher"),
            (imports, exports),
            tuple(
                _vrf_interface(config, binding)
                for binding in instance.iterfind(f"{{{NI}}}interfaces/{{{NI}}}interface")
            ),
        )
    return None


def _usable_problem(endpoint: VrfEndpoint | None, device: str, vrf: str) -> str | None:
    if endpoint is None:
        return f"network-instance {vrf} is not configured on {device}"
    if endpoint.type != "L3VRF":
        return f"network-instance {vrf} on {device} is not an L3VRF"
    if not endpoint.enabled:
        return f"network-instance {vrf} on {device} is disabled"
    if not endpoint.interfaces:
        return f"network-instance {vrf} on {device} has no interface"
    if all(each.problem for each in endpoint.interfaces):
        return next(each.problem for each in endpoint.interfaces if each.problem)
    return None


def _owner(
    configs: Mapping[str, etree._Element], source: str, vrf: str, address: ipaddress.IPv4Address
) -> tuple[VrfEndpoint, VrfInterface] | None:
    fallback: tuple[VrfEndpoint, VrfInterface] | None = None
    for device, config in configs.items():
        endpoint = vrf_endpoint(device, config, vrf) if device != source else None
        if endpoint is None:
            continue
        for each in endpoint.interfaces:
            if any(iface.ip == address for iface in each.addresses):
                return endpoint, each
            if fallback is None and any(address in iface.network for iface in each.addresses):
                fallback = (endpoint, each)
    return fallback


def _usable(configs: Mapping[str, etree._Element]) -> Callable[[Link], bool]:
    """Whether a link's ends are enabled interfaces (on the devices whose config is known)."""

    def usable(link: Link) -> bool:
        return all(
            end not in configs or interface_enabled(configs[end], link.port_of(end))
            for end in (link.a, link.b)
        )

    return usable


def _no_path(network: Network, source: str, target: str) -> Reachability:
    down = sorted(link.id for link in network.links.values() if not network.is_up(link.id))
    detail = f" (down: {', '.join(down)})" if down else ""
    return Reachability(False, f"no path of up links from {source} to {target}{detail}")


def _to_host(
    network: Network, configs: Mapping[str, etree._Element], source: str, holder: str, destination: str
) -> Reachability:
    """From ``source``'s default instance to an address a (non-router) node holds."""
    config = configs.get(source)
    if config is None:
        return Reachability(False, f"{source} is unknown")
    for instance in config.iterfind(f"{{{NI}}}network-instances/{{{NI}}}network-instance"):
        if _text(instance, f"{{{NI}}}name") == DEFAULT_INSTANCE:
            if _text(instance, f"{{{NI}}}config/{{{NI}}}enabled", "true") == "false":
                return Reachability(False, f"network-instance {DEFAULT_INSTANCE} on {source} is disabled")
            break
    else:
        return Reachability(False, f"network-instance {DEFAULT_INSTANCE} is not configured on {source}")
    path = network.path(source, holder, _usable(configs))
    if path is None:
        return _no_path(network, source, holder)
    return Reachability(True, f"{destination} ({holder}) reachable via {' > '.join(path)}", tuple(path))


def reachability(
    network: Network, configs: Mapping[str, etree._Element], source: str, vrf: str, destination: str
) -> Reachability:
    """Can ``source`` reach ``destination`` inside VRF ``vrf``? ``configs``: running config by device."""
    try:
        address = ipaddress.IPv4Address(destination.strip())
    except ValueError:
        return Reachability(False, f"'{destination}' is not an IPv4 address")
    holder = network.hosts.get(str(address))
    if vrf == DEFAULT_INSTANCE and holder is not None:
        return _to_host(network, configs, source, holder, destination)
    local = vrf_endpoint(source, configs[source], vrf) if source in configs else None
    problem = _usable_problem(local, source, vrf)
    if problem is not None or local is None:
        return Reachability(False, problem or f"{source} is unknown")
    for each in local.interfaces:
        if any(iface.ip == address for iface in each.addresses):
            if each.problem:
                return Reachability(False, each.problem)
            return Reachability(True, f"{destination} is a local address of {source} in {vrf}", (source,))
    owner = _owner(configs, source, vrf, address)
    if owner is None:
        return Reachability(False, f"no endpoint of {vrf} holds {destination}")
    remote, interface = owner
    problem = _usable_problem(remote, remote.device, vrf) or interface.problem
    if problem is not None:
        return Reachability(False, problem)
    if local.rd != remote.rd or not local.rd:
        return Reachability(
            False, f"route-distinguisher mismatch: '{local.rd}' on {source}, '{remote.rd}' on {remote.device}"
        )
    if local.policies != remote.policies:
        return Reachability(
            False, f"import/export policies of {vrf} differ between {source} and {remote.device}"
        )

    path = network.path(source, remote.device, _usable(configs))
    if path is None:
        return _no_path(network, source, remote.device)
    return Reachability(True, f"reachable via {' > '.join(path)}", tuple(path))
