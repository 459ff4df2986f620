"""5G and transport devices over NETCONF (ncclient): configuration, KPIs, RRM errors, the ping RPC,
and faults injected through the control endpoint served by uvicorn inside the fleet's loop."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from lxml import etree
from ncclient.manager import Manager
from ncclient.operations.rpc import RPCError

from lab.support import netconf_connect
from sims.fleet import FleetThread, SimDeviceSpec
from sims.models.core5g import EXT, KPI, ME, UPF
from sims.models.ran import CELL, GNBDU, RRM
from sims.world import REACHABILITY_NS, SimWorld
from tests.unit.test_sim_network import l3vpn

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
NS = {"me": ME, "g": GNBDU, "c": CELL, "k": KPI, "u": UPF, "r": REACHABILITY_NS}
SPECS = [
    SimDeviceSpec("gnb1", model="gnb"),
    SimDeviceSpec("upf1", model="upf"),
    SimDeviceSpec("smf1", model="smf"),
    SimDeviceSpec("amf1", model="amf"),
    SimDeviceSpec("pe1"),
    SimDeviceSpec("p1"),
    SimDeviceSpec("pe2"),
]


@dataclass
class Lab:
    fleet: FleetThread
    world: SimWorld
    control: httpx.Client

    def connect(self, name: str) -> Manager:
        return netconf_connect("127.0.0.1", self.fleet.port(name))


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    topology = yaml.safe_load((REPO / "topologies" / "l3vpn.clab.yml").read_text())
    with FleetThread(SPECS, topology=topology) as fleet:
        assert fleet.control_url is not None
        with httpx.Client(base_url=fleet.control_url, timeout=30) as control:
            yield Lab(fleet, fleet.fleet.world, control)


def _policy(ident: str, high: int, low: int, dedicated: int, sd: str = "000001") -> str:
    return (
        f"<config xmlns='{NC}'><ManagedElement xmlns='{ME}'><id>gnb1</id>"
        f"<GNBDUFunction xmlns='{GNBDU}'><id>1</id><NRCellDU xmlns='{CELL}'><id>1</id>"
        f"<RRMPolicyRatio xmlns='{RRM}'><id>{ident}</id><attributes><resourceType>PRB</resourceType>"
        f"<rRMPolicyMemberList><mcc>001</mcc><mnc>01</mnc><sd>{sd}</sd><sst>1</sst></rRMPolicyMemberList>"
        f"<rRMPolicyMaxRatio>{high}</rRMPolicyMaxRatio><rRMPolicyMinRatio>{low}</rRMPolicyMinRatio>"
        f"<rRMPolicyDedicatedRatio>{dedicated}</rRMPolicyDedicatedRatio></attributes></RRMPolicyRatio>"
        "</NRCellDU></GNBDUFunction></ManagedElement></config>"
    )


def _ping(m: Manager, vrf: str, destination: str) -> tuple[bool, str]:
    op = etree.Element(f"{{{REACHABILITY_NS}}}ping", nsmap={None: REACHABILITY_NS})
    etree.SubElement(op, f"{{{REACHABILITY_NS}}}network-instance").text = vrf
    etree.SubElement(op, f"{{{REACHABILITY_NS}}}destination").text = destination
    reply = etree.fromstring(m.dispatch(op).xml.encode())
    success = reply.xpath("string(//r:success)", namespaces=NS)
    return success == "true", reply.xpath("string(//r:reason)", namespaces=NS)


def _slice_kpi(m: Manager, leaf: str) -> list[float]:
    du = f"<ManagedElement xmlns='{ME}'><GNBDUFunction xmlns='{GNBDU}'/></ManagedElement>"
    data = m.get(("subtree", du)).data_ele
    path = f"me:ManagedElement/g:GNBDUFunction/k:kpis/k:slice/k:{leaf}/text()"
    return [float(v) for v in data.xpath(path, namespaces=NS)]


def test_gnb_configuration_and_kpis_over_netconf(lab: Lab) -> None:
    with lab.connect("gnb1") as m:
        assert any("_3gpp-nr-nrm-rrmpolicy" in cap for cap in m.server_capabilities)
        data = m.get().data_ele
        assert data.xpath("//c:NRCellDU/c:attributes/c:cellLocalId/text()", namespaces=NS) == ["1", "2"]
        assert data.xpath("//c:NRCellDU/k:kpis/k:RRU.PrbAvailDl/text()", namespaces=NS) == [
            "273.00",
            "106.00",
        ]
        assert data.xpath("//k:slice", namespaces=NS) == []
        m.edit_config(target="candidate", config=_policy("embb", 60, 20, 10))
        m.commit()
        (throughput,) = _slice_kpi(m, "throughputDl")
        assert throughput > 0
        config = m.get_config("running").data_ele
        assert config.xpath("//k:kpis", namespaces=NS) == []  # state is not config


def test_rrm_validation_errors_over_netconf(lab: Lab) -> None:
    with lab.connect("gnb1") as m:
        m.edit_config(target="candidate", config=_policy("bad", 50, 10, 30, sd="0000AA"))
        with pytest.raises(RPCError) as caught:
            m.commit()
        assert caught.value.tag == "invalid-value"
        assert "rRMPolicyDedicatedRatio" in (caught.value.path or "")
        with pytest.raises(RPCError):
            m.validate(source="candidate")
        m.discard_changes()
        m.edit_config(target="candidate", config=_policy("greedy", 100, 95, 95, sd="0000BB"))
        with pytest.raises(RPCError) as caught:
            m.commit()
        errors = caught.value.errlist  # the dedicated and the min ratios both add up to over 100
        assert [error.tag for error in errors] == ["operation-failed", "operation-failed"]
        assert "rRMPolicyDedicatedRatio" in errors[0].message
        m.discard_changes()


def test_upf_capacity_and_sessions(lab: Lab) -> None:
    edit = (
        f"<config xmlns='{NC}'><ManagedElement xmlns='{ME}'><id>upf1</id><UPFFunction xmlns='{UPF}'>"
        f"<id>upf1</id><attributes><maxSessions xmlns='{EXT}'>50</maxSessions></attributes></UPFFunction>"
        "</ManagedElement></config>"
    )
    with lab.connect("upf1") as m:
        m.edit_config(target="candidate", config=edit)
        m.commit()
        data = m.get().data_ele
        assert int(data.xpath("//k:sessionCount/text()", namespaces=NS)[0]) <= 50
        assert int(data.xpath("//k:rejectedSessions/text()", namespaces=NS)[0]) > 0


def test_ping_rpc_follows_config_and_links(lab: Lab) -> None:
    for name, address in (("pe1", "10.10.0.1"), ("pe2", "10.10.0.5")):
        with lab.connect(name) as m:
            m.edit_config(target="candidate", config=l3vpn(address))
            m.commit()
    with lab.connect("pe1") as m:
        assert any(REACHABILITY_NS in cap for cap in m.server_capabilities)
        ok, reason = _ping(m, "CUST-A", "10.10.0.5")
        assert ok, reason
        assert reason == "reachable via pe1 > p1 > pe2"
        response = lab.control.post("/faults", json={"kind": "link-down", "link": "pe1:eth1"})
        assert response.status_code == 201, response.text
        ok, reason = _ping(m, "CUST-A", "10.10.0.5")
        assert not ok and "pe1:eth1--p1:eth1" in reason
        assert lab.control.delete(f"/faults/{response.json()['id']}").status_code == 204
        assert _ping(m, "CUST-A", "10.10.0.5")[0]
        assert not _ping(m, "CUST-B", "10.10.0.5")[0]
        bad = etree.Element(f"{{{REACHABILITY_NS}}}ping")
        with pytest.raises(RPCError) as caught:
            m.dispatch(bad)
        assert caught.value.tag == "missing-element"


def test_kpi_degradation_and_session_drop_through_control(lab: Lab) -> None:
    m = lab.connect("gnb1")  # not closed by us: the injected fault drops the session
    (before,) = _slice_kpi(m, "latency")
    body = {"kind": "degrade-kpi", "device": "gnb1", "slice": "1-000001", "latency_ms": 25}
    fault = lab.control.post("/faults", json=body).json()
    (after,) = _slice_kpi(m, "latency")
    assert after >= before + 25 - 5  # the slow sine moves a little between the two reads
    lab.control.delete(f"/faults/{fault['id']}")
    assert lab.fleet.call(lambda f: len(f.device("gnb1").session_ids)) == 1
    dropped = lab.control.post("/faults", json={"kind": "drop-sessions", "device": "gnb1"})
    assert dropped.status_code == 201
    assert lab.fleet.call(lambda f: f.device("gnb1").session_ids) == []


def test_restart_discards_uncommitted_changes(lab: Lab) -> None:
    m = lab.connect("gnb1")  # the restart drops this session
    m.edit_config(target="candidate", config=_policy("pending", 10, 0, 0, sd="0000CC"))
    assert lab.control.post("/faults", json={"kind": "restart", "device": "gnb1"}).status_code == 201
    with lab.connect("gnb1") as fresh:
        candidate = etree.tostring(fresh.get_config("candidate").data_ele)
        running = etree.tostring(fresh.get_config("running").data_ele)
        assert candidate == running and b"0000CC" not in candidate
