"""What a fleet's devices share: the network model, injected faults, and the actions on devices.

``SimWorld(fleet).attach()`` gives every device a per-device copy of its model bound to a
``DeviceEnv``: ``<get>`` then sees the device's KPI conditions, and the reachability RPC
(``<ping xmlns="urn:rom:sim:reachability">``) works. Every method runs in the fleet's event loop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Protocol

from lxml import etree

from sims.datastore import RUNNING, Datastore
from sims.errors import protocol_error
from sims.faults import ACTIONS, Fault, FaultState, check_fault
from sims.kpi import Conditions
from sims.models.base import NC_NS, DeviceModel, Environment, bind_environment
from sims.network import Network, Reachability, reachability
from sims.xml import parser

log = logging.getLogger(__name__)
REACHABILITY_NS = "urn:rom:sim:reachability"
PING_TAG = f"{{{REACHABILITY_NS}}}ping"
REACHABILITY_CAPABILITY = f"{REACHABILITY_NS}?module=rom-sim-reachability&revision=2025-01-01"
OOB_SESSION = 0


class DeviceLike(Protocol):
    """What the world needs of a simulated device (``sims.device.SimDevice`` fits)."""

    name: str
    model: DeviceModel
    datastore: Datastore
    started: float

    @property
    def session_ids(self) -> list[int]: ...

    def kill_session(self, session_id: int) -> bool: ...


class FleetLike(Protocol):
    """What the world needs of a fleet: its devices by name (``sims.fleet.Fleet`` fits)."""

    @property
    def devices(self) -> Mapping[str, DeviceLike]: ...


class DeviceEnv:
    """The ``Environment`` of one device inside a world."""

    def __init__(self, world: SimWorld, device: str) -> None:
        self.world = world
        self._device = device

    @property
    def device(self) -> str:
        return self._device

    def conditions(self) -> Conditions:
        return self.world.faults.conditions(self._device)

    def ping(self, network_instance: str, destination: str) -> Reachability:
        return self.world.ping(self._device, network_instance, destination)

    def before_rpc(self, operation: str) -> float:
        return self.world.faults.before_rpc(self._device, operation)

    def accepts_connection(self) -> bool:
        return self.world.faults.accepts_connection(self._device)


def ping_rpc(op: etree._Element, env: Environment | None) -> list[etree._Element]:
    """``<ping><network-instance/><destination/></ping>`` -> ``<success/><reason/><path><hop/>..``."""
    values: dict[str, str] = {}
    for name in ("network-instance", "destination"):
        text = (op.findtext(f"{{{REACHABILITY_NS}}}{name}") or "").strip()
        if not text:
            error = protocol_error("missing-element", f"<{name}> is required")
            error.info = {"bad-element": name}
            raise error
        values[name] = text
    result = (
        env.ping(values["network-instance"], values["destination"])
        if env is not None
        else Reachability(False, "the device is not attached to a network model")
    )
    success = etree.Element(f"{{{REACHABILITY_NS}}}success", nsmap={None: REACHABILITY_NS})
    success.text = "true" if result.success else "false"
    reason = etree.Element(f"{{{REACHABILITY_NS}}}reason", nsmap={None: REACHABILITY_NS})
    reason.text = result.reason
    path = etree.Element(f"{{{REACHABILITY_NS}}}path", nsmap={None: REACHABILITY_NS})
    for hop in result.path:
        etree.SubElement(path, f"{{{REACHABILITY_NS}}}hop").text = hop
    return [success, reason, path]


def parse_config(xml: str) -> etree._Element:
    """An XML ``<config>`` (any other root is wrapped in one); ValueError if it is not XML."""
    try:
        root = etree.fromstring(xml.strip().encode(), parser())
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"config is not well-formed XML: {exc}") from None
    if etree.QName(root).localname == "config":
        return root
    config = etree.Element(f"{{{NC_NS}}}config", nsmap={None: NC_NS})
    config.append(root)
    return config


class SimWorld:
    """Network, faults and device actions of one fleet. ``clock`` must be the devices' clock."""

    def __init__(
        self,
        fleet: FleetLike,
        network: Network | None = None,
        faults: FaultState | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.fleet = fleet
        self.network = network if network is not None else Network()
        self.faults = faults if faults is not None else FaultState()
        self._clock = clock

    def attach(self) -> None:
        """Bind every device's model to this world (idempotent)."""
        for name, device in self.fleet.devices.items():
            device.model = bind_environment(
                device.model, DeviceEnv(self, name), {PING_TAG: ping_rpc}, (REACHABILITY_CAPABILITY,)
            )

    def device(self, name: str) -> DeviceLike:
        """A device by name; KeyError if unknown."""
        try:
            return self.fleet.devices[name]
        except KeyError:
            raise KeyError(f"no device '{name}'") from None

    def ping(self, source: str, network_instance: str, destination: str) -> Reachability:
        """Reachability of ``destination`` from ``source`` in a VRF, over the current configs."""
        configs = {name: device.datastore.running for name, device in self.fleet.devices.items()}
        return reachability(self.network, configs, source, network_instance, destination)

    # -- faults --------------------------------------------------------------------------------
    def inject(self, fault: Fault) -> Fault:
        """Check, perform (actions) and record a fault. KeyError: unknown device or link;
        ValueError: bad fault; RpcError: the device refused the action."""
        fault = check_fault(fault)
        if fault.device is not None:
            self.device(fault.device)
        if fault.kind == "link-down":
            fault = replace(fault, link=self.network.find(fault.link or "").id)
        stored = self.faults.add(fault)
        try:
            self._perform(stored)
        except BaseException:
            self.faults.remove(stored.id)
            raise
        self._sync_links()
        self._notify(stored)
        return stored

    def clear(self, fault_id: str) -> Fault:
        """Remove a fault (actions are not undone); KeyError if unknown."""
        fault = self.faults.remove(fault_id)
        self._sync_links()
        self._notify(fault)
        return fault

    def clear_all(self) -> int:
        """Remove every fault; returns how many there were."""
        faults = self.faults.find()
        for fault in faults:
            self.clear(fault.id)
        return len(faults)

    def _perform(self, fault: Fault) -> None:
        if fault.kind not in ACTIONS or fault.device is None:
            return
        if fault.kind == "drop-sessions":
            self.drop_sessions(fault.device)
        elif fault.kind == "restart":
            self.restart(fault.device)
        else:
            self.change_config(fault.device, fault.config or "")

    def _sync_links(self) -> None:
        down = self.faults.links_down()
        for link_id in self.network.links:
            self.network.set_up(link_id, link_id not in down)

    def _notify(self, fault: Fault) -> None:
        names = list(self.fleet.devices) if fault.kind == "link-down" else [fault.device or ""]
        for name in names:
            device = self.fleet.devices.get(name)
            notify = getattr(device, "notify_changed", None)
            if callable(notify):
                notify()

    # -- actions -------------------------------------------------------------------------------
    def drop_sessions(self, name: str) -> int:
        """Close every management session of a device; returns how many."""
        device = self.device(name)
        ids = list(device.session_ids)
        for session_id in ids:
            device.kill_session(session_id)
        log.info("%s: %d sessions dropped", name, len(ids))
        return len(ids)

    def restart(self, name: str) -> None:
        """Sessions dropped, locks released, candidate back to running, a pending confirmed commit
        (even a persisted one) reverted to the last confirmed running, uptime and counters from zero."""
        device = self.device(name)
        self.drop_sessions(name)
        device.datastore.restart()
        device.started = self._clock()
        log.info("%s: restarted", name)

    def change_config(self, name: str, xml: str) -> None:
        """Merge a ``<config>`` into running directly, as a CLI user would (validated first)."""
        datastore = self.device(name).datastore
        config = parse_config(xml)
        writable, datastore.writable_running = datastore.writable_running, True
        try:
            datastore.edit(RUNNING, config, OOB_SESSION)
        finally:
            datastore.writable_running = writable
        log.info("%s: out-of-band configuration change", name)
