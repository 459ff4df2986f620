"""One 5G slice order over four simulated devices and two protocols, without the API.

slice-core (UPF + SMF, NETCONF) + slice-ran (gNB RRM policy, gNMI) + transport-qos (PE, gNMI)
+ l3vpn-endpoint (the same PE, NETCONF) are planned from the catalog, rendered, and pushed in one
network-wide transaction; then the same order with a gNB that refuses it. Devices are read back
through the simulator's datastores, not through the drivers under test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from lxml import etree

from core.tmf652 import ResourceOrderCreate
from drivers.base import DeviceTarget
from drivers.config_reads import read_back
from drivers.nornir_plugins import make_nornir
from drivers.pool import SessionPool
from drivers.transaction import run_transaction
from intent.catalog import Catalog
from intent.planner import Intended, intended_for, participant_payloads, plan_order
from intent.readback import after_commit_problems
from lab.support import fleet_target, netconf_connect, trust_fleet
from sims.fleet import FleetThread, SimDeviceSpec
from tests.conftest import L3VPN_VALUES

pytestmark = pytest.mark.integration
DEVICES = {"upf1": "upf", "smf1": "smf", "gnb1": "gnb", "pe1": "router"}
RRM = "urn:rom:yang:rom-nr-rrm-ext"  # RRMPolicyRatio under the cell (ROM's augment of Rel-17)
EXT = "urn:rom:yang:rom-5g-slice-ext"
QOS = "http://openconfig.net/yang/qos"
UPF = "urn:3gpp:sa5:_3gpp-5gc-nrm-upffunction"


def _item(item_id: str, spec: str, values: dict[str, Any]) -> dict[str, Any]:
    chars = [{"name": k, "value": v} for k, v in values.items()]
    return {
        "id": item_id,
        "action": "add",
        "resourceSpecification": {"id": spec},
        "resource": {"resourceCharacteristic": chars},
    }


def slice_order(dedicated: int = 20) -> ResourceOrderCreate:
    items = [
        _item(
            "core",
            "slice-core",
            {
                "upfDevice": "upf1",
                "smfDevice": "smf1",
                "sst": 2,
                "sd": "00a0b1",
                "dnn": "factory.urllc",
                "upfMaxSessions": 20000,
            },
        ),
        _item(
            "ran",
            "slice-ran",
            {
                "device": "gnb1",
                "cellId": "1",
                "policyId": "urllc-1",
                "sst": 2,
                "sd": "00A0B1",
                "maxRatio": 60,
                "minRatio": dedicated,
                "dedicatedRatio": dedicated,
            },
        ),
        _item(
            "qos",
            "transport-qos",
            {
                "device": "pe1",
                "interface": "Ethernet1",
                "queueName": "SLICE-URLLC",
                "priority": 5,
                "strictPriority": True,
                "bandwidthMbps": 1000,
                "schedulerSequence": 1,  # the pool allocates it at intake; plan_order alone does not
            },
        ),
        _item("vpn", "l3vpn-endpoint", dict(L3VPN_VALUES)),
    ]
    return ResourceOrderCreate.model_validate({"orderItem": items})


@pytest.fixture
def fleet() -> Iterator[FleetThread]:
    with FleetThread([SimDeviceSpec(name, model) for name, model in DEVICES.items()]) as running:
        yield running


def targets(fleet: FleetThread) -> list[DeviceTarget]:
    known_hosts = trust_fleet(fleet)
    return [fleet_target(fleet, name, gnmi=True, known_hosts=known_hosts) for name in DEVICES]


def running(fleet: FleetThread) -> dict[str, str]:
    """Every device's whole running datastore, read inside the simulator."""
    return fleet.call(
        lambda f: {n: etree.tostring(f.device(n).datastore.running, encoding="unicode") for n in DEVICES}
    )


def plan(fleet: FleetThread, order: ResourceOrderCreate) -> list[Intended]:
    catalog = Catalog.load()
    platforms = {t.name: t.platform for t in targets(fleet)}
    return [w for item in plan_order(order, catalog, platforms) for w in intended_for(catalog, item)]


def test_the_order_touches_each_device_over_its_protocol(fleet: FleetThread) -> None:
    payloads = participant_payloads(plan(fleet, slice_order()))
    assert {d: sorted(p) for d, p in payloads.items()} == {
        "upf1": ["netconf"],
        "smf1": ["netconf"],
        "gnb1": ["gnmi"],
        "pe1": ["gnmi", "netconf"],
    }


def test_slice_commits_on_every_device_and_reads_back(fleet: FleetThread) -> None:
    intended = plan(fleet, slice_order())
    pool = SessionPool()
    nr = make_nornir(targets(fleet), pool=pool)
    checks: list[list[str]] = []

    def post_check() -> list[str]:
        checks.append(after_commit_problems(intended, read_back(nr, intended)))
        return checks[-1]

    out = run_transaction(
        nr, participant_payloads(intended), confirm_timeout=120, persist_id="slice-ok", post_check=post_check
    )
    pool.close_all()
    assert out.ok, out.errors
    assert checks == [[]]
    assert out.hosts["pe1"].confirmed == ("netconf", "gnmi")
    now = fleet.call(lambda f: {n: f.device(n).datastore.running for n in DEVICES})
    assert now["gnb1"].findtext(f".//{{{RRM}}}rRMPolicyDedicatedRatio") == "20"
    assert now["pe1"].findtext(f".//{{{QOS}}}cir") == "1000000000"
    assert now["upf1"].findtext(f".//{{{EXT}}}maxSessions") == "20000"
    assert [e.text for e in now["upf1"].iter(f"{{{EXT}}}dnn")] == ["internet", "factory.urllc"]
    assert not fleet.call(lambda f: [n for n in DEVICES if f.device(n).datastore.confirmed_commit_pending])


def seed_gnb_policy(fleet: FleetThread, dedicated: int) -> None:
    """Another slice already holds `dedicated` % of cell 1 (written over NETCONF, as an operator would)."""
    ep = fleet.endpoint("gnb1")
    config = (
        "<config xmlns='urn:ietf:params:xml:ns:netconf:base:1.0'>"
        "<ManagedElement xmlns='urn:3gpp:sa5:_3gpp-common-managed-element'><id>gnb1</id>"
        "<GNBDUFunction xmlns='urn:3gpp:sa5:_3gpp-nr-nrm-gnbdufunction'><id>1</id>"
        "<NRCellDU xmlns='urn:3gpp:sa5:_3gpp-nr-nrm-nrcelldu'><id>1</id>"
        f"<RRMPolicyRatio xmlns='{RRM}'><id>embb-0</id><attributes><resourceType>PRB</resourceType>"
        f"<rRMPolicyMaxRatio>100</rRMPolicyMaxRatio><rRMPolicyMinRatio>{dedicated}</rRMPolicyMinRatio>"
        f"<rRMPolicyDedicatedRatio>{dedicated}</rRMPolicyDedicatedRatio>"
        "<rRMPolicyMemberList><mcc>001</mcc><mnc>01</mnc><sd>FFFFFF</sd><sst>1</sst></rRMPolicyMemberList>"
        "</attributes></RRMPolicyRatio></NRCellDU></GNBDUFunction></ManagedElement></config>"
    )
    with netconf_connect(ep.host, ep.netconf_port, timeout=10) as m:
        m.edit_config(config=config, target="candidate")
        m.commit()


def test_gnb_refusal_leaves_every_device_as_it_was(fleet: FleetThread) -> None:
    seed_gnb_policy(fleet, dedicated=60)
    before = running(fleet)
    intended = plan(fleet, slice_order(dedicated=50))  # 60 + 50 > 100: the gNB refuses the Set
    pool = SessionPool()
    out = run_transaction(
        make_nornir(targets(fleet), pool=pool),
        participant_payloads(intended),
        confirm_timeout=120,
        persist_id="slice-bad",
        post_check=lambda: [],
    )
    pool.close_all()
    assert not out.ok and out.phase_failed == "commit"
    assert any(e.startswith("gnb1[gnmi]: commit rejected") and "add up to 110" in e for e in out.errors), (
        out.errors
    )
    assert running(fleet) == before  # NETCONF and gNMI participants alike, byte for byte
    assert all(h.rolled_back or h.failed for h in out.hosts.values())
    assert not fleet.call(lambda f: [n for n in DEVICES if f.device(n).datastore.confirmed_commit_pending])


def test_failed_post_check_restores_gnmi_and_netconf(fleet: FleetThread) -> None:
    before = running(fleet)
    intended = plan(fleet, slice_order())
    out = run_transaction(
        make_nornir(targets(fleet), pool=None),
        participant_payloads(intended),
        confirm_timeout=120,
        persist_id="slice-kpi",
        post_check=lambda: ["latency 20 ms > 15 ms"],
    )
    assert out.phase_failed == "post_check"
    assert running(fleet) == before
