"""A ROM API in-process (FastAPI TestClient over HTTP semantics) against real simulators on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from api.app import create_app
from core.settings import Settings
from inventory.context import Context
from inventory.records import Device, upsert_device
from lab.support import REPO, trust_fleet
from sims.fleet import FleetThread, SimDeviceSpec
from tests.unit.test_sim_network import l3vpn

ORDERS = "/tmf-api/resourceOrderingManagement/v4/resourceOrder"


@dataclass
class RomUnderTest:
    client: TestClient
    ctx: Context
    fleet: FleetThread


def make_settings(var_dir: Path, **overrides: Any) -> Settings:
    return Settings(var_dir=var_dir, confirm_timeout=30, lease_seconds=2, order_threads=2, **overrides)


def register_fleet(ctx: Context, fleet: FleetThread, without_gnmi: tuple[str, ...] = ()) -> None:
    """Put the fleet in the inventory and its host keys in known_hosts; devices named in
    `without_gnmi` are recorded as NETCONF-only."""
    trust_fleet(fleet, ctx.settings.effective_known_hosts)
    with ctx.transaction() as session:
        for ep in fleet.endpoints:
            upsert_device(
                session,
                Device(
                    name=ep.name,
                    host=ep.host,
                    port=ep.netconf_port,
                    gnmi_port=None if ep.name in without_gnmi else ep.gnmi_port,
                    platform=ep.platform,
                    role="pe",
                    source="test",
                ),
            )


@pytest.fixture
def rom(tmp_path: Path) -> Iterator[RomUnderTest]:
    settings = make_settings(tmp_path)
    with FleetThread([SimDeviceSpec("pe1"), SimDeviceSpec("pe2")]) as fleet:
        ctx = Context.create(settings)
        register_fleet(ctx, fleet, without_gnmi=("pe2",))
        with TestClient(create_app(settings)) as client:
            yield RomUnderTest(client, ctx, fleet)
        ctx.engine.dispose()


def l3vpn_item(item_id: str, device: str, vrf: str, vlan: int, address: str = "10.20.0.1") -> dict[str, Any]:
    values = {
        "device": device,
        "vrfName": vrf,
        "routeDistinguisher": "65000:1",
        "interface": "Ethernet2",
        "vlanId": vlan,
        "ipv4Address": address,
        "prefixLength": 31,
    }
    return {
        "id": item_id,
        "action": "add",
        "resourceSpecification": {"id": "l3vpn-endpoint"},
        "resource": {"resourceCharacteristic": [{"name": k, "value": v} for k, v in values.items()]},
    }


def qos_item(item_id: str, device: str, queue: str) -> dict[str, Any]:
    """A transport-qos item (pushed over gNMI)."""
    values = {"device": device, "interface": "Ethernet2", "queueName": queue, "bandwidthMbps": 10}
    return {
        "id": item_id,
        "action": "add",
        "resourceSpecification": {"id": "transport-qos"},
        "resource": {"resourceCharacteristic": [{"name": k, "value": v} for k, v in values.items()]},
    }


def order(*items: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"orderItem": list(items), **fields}


@contextmanager
def vpn_fleet() -> Iterator[FleetThread]:
    """pe1 - p1 - pe2 of the l3vpn lab in one process, VRF CUST-A on both PEs (10.10.0.1, .5)."""
    topology = yaml.safe_load((REPO / "topologies" / "l3vpn.clab.yml").read_text())
    specs = [SimDeviceSpec("pe1"), SimDeviceSpec("p1"), SimDeviceSpec("pe2")]
    with FleetThread(specs, topology=topology) as running:
        for name, address in (("pe1", "10.10.0.1"), ("pe2", "10.10.0.5")):
            running.call(lambda f, n=name, a=address: f.world.change_config(n, l3vpn(a)))
        yield running
