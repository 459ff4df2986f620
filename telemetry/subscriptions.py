"""Which gNMI subscriptions the inventory calls for (pure), and their SubscribeRequests.

``wanted_subscriptions(devices, resources)`` turns inventory devices and resources into the set of
subscriptions the collector should run: one ``base`` subscription per device from the profile of
its role (else its platform) — SAMPLE for counters and KPIs, ON_CHANGE for oper-status and session
state — plus one per resource whose specification has a telemetry profile (an activated slice adds
its KPIs; deleting it removes them). ``diff(current, wanted)`` says what to stop and start.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from pygnmi.spec.v080 import gnmi_pb2

from drivers.grpc_tls import address
from telemetry.events import split_path

log = logging.getLogger(__name__)
Mode = Literal["sample", "on_change", "target_defined"]
_MODES = {
    "sample": gnmi_pb2.SubscriptionMode.SAMPLE,
    "on_change": gnmi_pb2.SubscriptionMode.ON_CHANGE,
    "target_defined": gnmi_pb2.SubscriptionMode.TARGET_DEFINED,
}
NS = 1_000_000_000


@dataclass(frozen=True)
class PathSpec:
    """One subscribed path; ``{name}`` placeholders take resource characteristics."""

    path: str
    mode: Mode = "sample"
    interval_s: float = 10.0  # SAMPLE only
    heartbeat_s: float = 0.0


@dataclass(frozen=True)
class DeviceInfo:
    """What the collector needs of an inventory device."""

    name: str
    platform: str
    host: str
    gnmi_port: int | None
    role: str = ""


@dataclass(frozen=True)
class ResourceInfo:
    """What the collector needs of an inventory resource (TMF639)."""

    id: str
    spec_id: str
    device: str
    characteristics: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Subscription:
    """One Subscribe RPC to one device. Equal subscriptions need no restart."""

    device: str
    name: str
    address: str
    paths: tuple[PathSpec, ...]
    resource: str | None = None
    kind: Literal["stream", "poll"] = "stream"
    poll_interval_s: float = 1.0

    @property
    def key(self) -> tuple[str, str]:
        return (self.device, self.name)


SAMPLE_KPI = 10.0
ROUTER = (
    PathSpec("interfaces/interface/state/counters", "sample", SAMPLE_KPI),
    PathSpec("interfaces/interface/state/oper-status", "on_change"),
    PathSpec(
        "network-instances/network-instance/protocols/protocol/bgp/neighbors/neighbor/state/session-state",
        "on_change",
    ),
)
RAN = (
    PathSpec("ManagedElement/GNBDUFunction/NRCellDU/kpis", "sample", SAMPLE_KPI),
    PathSpec("ManagedElement/GNBDUFunction/kpis", "sample", SAMPLE_KPI),
    PathSpec("ManagedElement/GNBDUFunction/NRCellDU/attributes/operationalState", "on_change"),
)
# Release 17 gives UPF, SMF and AMF no operationalState
CORE = (PathSpec("ManagedElement/*/kpis", "sample", SAMPLE_KPI),)
# role first, then platform
DEVICE_PROFILES: dict[str, tuple[PathSpec, ...]] = {
    "rom-router": ROUTER,
    "rom-ran": RAN,
    "rom-5gc": CORE,
}
# resource specification id -> the KPIs of one activated resource
RESOURCE_PROFILES: dict[str, tuple[PathSpec, ...]] = {
    "l3vpn-endpoint": (
        PathSpec("interfaces/interface[name={interface}]/subinterfaces/subinterface[index={vlanId}]/state"),
        PathSpec("network-instances/network-instance[name={vrfName}]/state", "on_change"),
    ),
    "slice-core": (
        PathSpec("ManagedElement/*/kpis/slice", "sample", 1.0),
        PathSpec("ManagedElement/*/kpis/sessionUtilisation"),
    ),
    "slice-ran": (
        PathSpec(
            "ManagedElement[id={device}]/GNBDUFunction[id={duId}]/NRCellDU[id={cellId}]/kpis", "sample", 1.0
        ),
    ),
}


def _fill(spec: PathSpec, values: Mapping[str, Any]) -> PathSpec | None:
    try:
        return replace(spec, path=spec.path.format_map(dict(values)))
    except (KeyError, IndexError, ValueError):
        return None


def wanted_subscriptions(
    devices: Iterable[DeviceInfo],
    resources: Iterable[ResourceInfo] = (),
    *,
    device_profiles: Mapping[str, tuple[PathSpec, ...]] = DEVICE_PROFILES,
    resource_profiles: Mapping[str, tuple[PathSpec, ...]] = RESOURCE_PROFILES,
    sample_interval_s: float | None = None,
    kind: Literal["stream", "poll"] = "stream",
) -> dict[tuple[str, str], Subscription]:
    """The subscription set for these devices and resources (devices without gNMI are skipped);
    ``sample_interval_s`` overrides every SAMPLE interval (tests, benchmarks)."""

    def tuned(paths: Iterable[PathSpec]) -> tuple[PathSpec, ...]:
        if sample_interval_s is None:
            return tuple(paths)
        return tuple(replace(p, interval_s=sample_interval_s) if p.mode == "sample" else p for p in paths)

    wanted: dict[tuple[str, str], Subscription] = {}
    known: dict[str, DeviceInfo] = {}
    for device in devices:
        if device.gnmi_port is None:
            continue
        known[device.name] = device
        paths = device_profiles.get(device.role) or device_profiles.get(device.platform)
        if paths:
            sub = Subscription(
                device.name, "base", address(device.host, device.gnmi_port), tuned(paths), kind=kind
            )
            wanted[sub.key] = sub
    for resource in resources:
        owner = known.get(resource.device)
        templates = resource_profiles.get(resource.spec_id)
        if owner is None or owner.gnmi_port is None or not templates:
            continue
        values = {"device": resource.device, **resource.characteristics}
        filled = [_fill(spec, values) for spec in templates]
        paths = tuple(spec for spec in filled if spec is not None)
        if len(paths) < len(filled):
            log.warning("resource %s: some telemetry paths lack characteristics", resource.id)
        if paths:
            name = f"resource/{resource.id}"
            sub = Subscription(
                owner.name,
                name,
                address(owner.host, owner.gnmi_port),
                tuned(paths),
                resource.id,
                kind=kind,
            )
            wanted[sub.key] = sub
    return wanted


def diff(
    current: Mapping[tuple[str, str], Subscription], wanted: Mapping[tuple[str, str], Subscription]
) -> tuple[list[Subscription], list[Subscription]]:
    """``(stop, start)``: subscriptions gone or changed, and new or changed ones."""
    stop = [sub for key, sub in current.items() if wanted.get(key) != sub]
    start = [sub for key, sub in wanted.items() if current.get(key) != sub]
    return stop, start


def to_path(path: str) -> gnmi_pb2.Path:
    """``a/b[k=v]/c`` as a gNMI Path."""
    return gnmi_pb2.Path(elem=[gnmi_pb2.PathElem(name=name, key=keys) for name, keys in split_path(path)])


def build_request(sub: Subscription) -> gnmi_pb2.SubscribeRequest:
    """The SubscriptionList for one subscription (JSON_IETF)."""
    entries = [
        gnmi_pb2.Subscription(
            path=to_path(spec.path),
            mode=_MODES[spec.mode],
            sample_interval=int(spec.interval_s * NS) if spec.mode == "sample" else 0,
            heartbeat_interval=int(spec.heartbeat_s * NS),
        )
        for spec in sub.paths
    ]
    mode = (
        gnmi_pb2.SubscriptionList.Mode.POLL if sub.kind == "poll" else gnmi_pb2.SubscriptionList.Mode.STREAM
    )
    return gnmi_pb2.SubscribeRequest(
        subscribe=gnmi_pb2.SubscriptionList(
            subscription=entries, mode=mode, encoding=gnmi_pb2.Encoding.JSON_IETF
        )
    )


def from_inventory(session: Any) -> tuple[list[DeviceInfo], list[ResourceInfo]]:
    """Devices and resources from the inventory store (a SQLAlchemy session)."""
    from inventory.records import list_devices, list_resources

    devices = [
        DeviceInfo(d.name, d.platform, d.host, d.gnmi_port, d.role or "") for d in list_devices(session)
    ]
    resources = [
        ResourceInfo(r.id, r.spec_id, r.device, dict(r.characteristics or {}))
        for r in list_resources(session)
    ]
    return devices, resources
