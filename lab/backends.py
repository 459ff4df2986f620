"""What the conformance suite needs from one (server, driver) pair, and the pairs ROM has.

Each `Backend` builds drivers for its device, payloads that add numbered items, one payload the
device refuses, and reads the device's running items through an independent path (the
simulator's datastore, or a stock ncclient session for netconfd), never through the driver.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

from lxml import etree
from ncclient import manager

from drivers._ncclient_session import connect_ssh
from drivers.base import DeviceDriver, DeviceTarget
from drivers.pool import SessionPool
from drivers.registry import driver_for
from lab.netconfd import NetconfdEndpoint
from lab.support import fleet_target, netconf_connect
from sims.fleet import FleetThread

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
OC_IF = "http://openconfig.net/yang/interfaces"
OC_VLAN = "http://openconfig.net/yang/vlan"
IETF_IF = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
IANA_IF = "urn:ietf:params:xml:ns:yang:iana-if-type"


@dataclass
class Backend:
    """One device behind one driver, as the conformance tests see it."""

    kind: str  # e.g. "sim/rom-router", "netconfd/candidate"
    target: DeviceTarget
    payload: Callable[[int], str]  # a <config> adding item `i`
    invalid_payload: str  # a <config> the device refuses with an rpc-error
    invalid_tag: str
    invalid_path: str  # a fragment of the error-path the device reports
    scope: str  # subtree filter selecting where the items live
    items: Callable[[], set[str]]  # item keys in running, read without the driver under test
    other_session: Callable[[], AbstractContextManager[manager.Manager]]  # stock ncclient
    lock_datastore: str  # the datastore `stage` locks
    confirmed_commit: str | None  # why a confirmed commit cannot be tested (None: it can)
    pool: SessionPool | None = None
    protocol: str = "netconf"
    snapshot: Callable[[], str] | None = None  # the whole running config, read without the driver
    diff_marker: Callable[[int], str] = lambda i: f"<index>{i}</index>"  # in the dry-run diff of item i
    no_dry_run: str | None = None  # why `diff` cannot work here (None: it can)

    def driver(self, target: DeviceTarget | None = None) -> DeviceDriver:
        return driver_for(target or self.target, self.pool, self.protocol)

    @property
    def netconf_only(self) -> str | None:
        """Why a NETCONF-only operation (locks, a stock ncclient session) does not apply, or None."""
        if self.protocol == "gnmi":
            return "NETCONF-only: gNMI has no datastore locks and no candidate"
        return None

    def top_level_names(self, config: str) -> list[str]:
        return gnmi_top_level_names(config) if self.protocol == "gnmi" else top_level_names(config)


def _stock(target: DeviceTarget) -> Callable[[], AbstractContextManager[manager.Manager]]:
    @contextmanager
    def session() -> Iterator[manager.Manager]:
        m = netconf_connect(
            target.host,
            target.port,
            username=target.username,
            password=target.password or None,
            key_filename=target.key_file,
            timeout=10,
        )
        try:
            yield m
        finally:
            m.close_session()

    return session


# --- the ROM simulator's OpenConfig router ------------------------------------------------------


def oc_subif_payload(i: int, vlan: int | None = None) -> str:
    vlan = i if vlan is None else vlan
    return (
        f'<config xmlns="{NC}"><interfaces xmlns="{OC_IF}"><interface><name>Ethernet1</name>'
        f"<subinterfaces><subinterface><index>{i}</index><config><index>{i}</index></config>"
        f'<vlan xmlns="{OC_VLAN}"><match><single-tagged><config><vlan-id>{vlan}</vlan-id></config>'
        "</single-tagged></match></vlan></subinterface></subinterfaces></interface></interfaces></config>"
    )


def sim_backend(
    fleet: FleetThread,
    name: str = "pe1",
    platform: str | None = None,
    pool: SessionPool | None = None,
    gnmi: bool = False,
) -> Backend:
    target = fleet_target(fleet, name, platform=platform, gnmi=gnmi)

    def items() -> set[str]:
        def read(f: object) -> set[str]:
            running = fleet.fleet.device(name).datastore.running
            return {
                (s.findtext(f"{{{OC_IF}}}index") or "").strip()
                for s in running.iter(f"{{{OC_IF}}}subinterface")
            }

        return fleet.call(read)

    def snapshot() -> str:
        return fleet.call(lambda f: etree.tostring(f.device(name).datastore.running, encoding="unicode"))

    if gnmi:
        return Backend(
            kind=f"sim-gnmi/{target.platform}",
            target=target,
            payload=gnmi_subif_payload,
            invalid_payload=gnmi_subif_payload(100, vlan=5000),
            invalid_tag="invalid-value",
            invalid_path="vlan-id",
            scope="/openconfig-interfaces:interfaces",
            items=items,
            other_session=_stock(target),
            lock_datastore="running",
            confirmed_commit=None,  # emulated by the driver: pre-image kept until confirm
            pool=pool,
            protocol="gnmi",
            snapshot=snapshot,
            diff_marker=lambda i: f'"index": {i}',
        )
    return Backend(
        kind=f"sim/{target.platform}",
        target=target,
        payload=oc_subif_payload,
        invalid_payload=oc_subif_payload(100, vlan=5000),
        invalid_tag="invalid-value",
        invalid_path="vlan-id",
        scope=f'<interfaces xmlns="{OC_IF}"/>',
        items=items,
        other_session=_stock(target),
        lock_datastore="candidate",
        confirmed_commit=None,
        pool=pool,
        snapshot=snapshot,
    )


def gnmi_subif_payload(i: int, vlan: int | None = None) -> str:
    """The gNMI twin of `oc_subif_payload`: one Set update in ROM's payload document."""
    path = [
        "openconfig-interfaces:interfaces",
        {"interface": {"name": "Ethernet1"}},
        "subinterfaces",
        {"subinterface": {"index": str(i)}},
    ]
    value = {
        "index": i,
        "config": {"index": i},
        "openconfig-vlan:vlan": {
            "match": {"single-tagged": {"config": {"vlan-id": i if vlan is None else vlan}}}
        },
    }
    return json.dumps({"update": [{"path": path, "value": value}]})


def gnmi_top_level_names(config_json: str) -> list[str]:
    """Top-level names in a gNMI driver's get_config answer ({path: value})."""
    names: list[str] = []
    for path, value in json.loads(config_json).items():
        if path == "/":
            names.extend(k.rsplit(":", 1)[-1] for k in value)
        elif value is not None:
            names.append(path.split("/")[1].split("[")[0].rsplit(":", 1)[-1])
    return sorted(names)


# --- netconfd (yuma123) with ietf-interfaces ----------------------------------------------------


def ietf_if_payload(i: int, if_type: str = "ethernetCsmacd") -> str:
    return (
        f'<config xmlns="{NC}"><interfaces xmlns="{IETF_IF}"><interface><name>rom{i}</name>'
        f'<type xmlns:ianaift="{IANA_IF}">ianaift:{if_type}</type><description>item {i}</description>'
        "</interface></interfaces></config>"
    )


def observer(target: DeviceTarget) -> manager.Manager:
    """A session of the test's own for reading back and resetting (not the driver under test;
    ROM's tick-free transport, because stock ncclient costs 100 ms per RPC)."""
    return connect_ssh(
        rpc_timeout=10,
        host=target.host,
        port=target.port,
        username=target.username,
        password=target.password or None,
        key_filename=target.key_file,
        timeout=10,
        hostkey_verify=False,
        allow_agent=False,
        look_for_keys=False,
    )


def _ietf_items(m: manager.Manager) -> set[str]:
    data = m.get_config(source="running", filter=("subtree", f'<interfaces xmlns="{IETF_IF}"/>')).data_ele
    return {(n.text or "").strip() for n in data.iter(f"{{{IETF_IF}}}name")}


def reset_netconfd(m: manager.Manager, mode: str) -> None:
    """Remove every interface and any pending persisted commit the suite may have left."""
    remove = (
        f'<config xmlns="{NC}" xmlns:nc="{NC}"><interfaces xmlns="{IETF_IF}" nc:operation="remove"/></config>'
    )
    if mode == "candidate":
        for persist_id in ("conf-1", "conf-2", "conf-3"):
            with contextlib.suppress(Exception):  # nothing pending under that id
                m.cancel_commit(persist_id=persist_id)
        m.discard_changes()
        m.edit_config(config=remove, target="candidate")
        m.commit()
    else:
        m.edit_config(config=remove, target="running")


def netconfd_backend(ep: NetconfdEndpoint, watcher: manager.Manager, pool: SessionPool) -> Backend:
    target = ep.target()

    def snapshot() -> str:
        return str(etree.tostring(watcher.get_config(source="running").data_ele, encoding="unicode"))

    return Backend(
        kind=f"netconfd/{ep.mode}",
        target=target,
        payload=ietf_if_payload,
        invalid_payload=ietf_if_payload(100, if_type="no-such-type"),
        invalid_tag="invalid-value",
        invalid_path="if:type",
        scope=f'<interfaces xmlns="{IETF_IF}"/>',
        items=lambda: _ietf_items(watcher),
        other_session=_stock(target),
        lock_datastore=ep.mode,
        confirmed_commit=None,  # netconfd --target=candidate announces :confirmed-commit:1.1;
        # on --target=running the driver emulates it with the saved pre-image
        pool=pool,
        snapshot=snapshot,
        diff_marker=lambda i: f"<name>rom{i}</name>",
        no_dry_run=None
        if ep.mode == "candidate"
        else "dry-run diff needs :candidate (netconfd --target=running)",
    )


def top_level_names(data_xml: str) -> list[str]:
    root = etree.fromstring(data_xml.encode())
    assert etree.QName(root).localname == "data", root.tag
    return sorted(etree.QName(child).localname for child in root if isinstance(child.tag, str))
