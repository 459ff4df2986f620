"""The fleet control API: faults in, listed, cleared; bad input gets a 4xx JSON answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from sims.control import build_control_app
from sims.errors import RpcError
from sims.fleet import Fleet, SimDeviceSpec
from sims.models.ran import CELL, GNBDU, KPI, ME, RRM
from sims.world import SimWorld

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
POLICY = (
    f"<config xmlns='{NC}'><ManagedElement xmlns='{ME}'><id>gnb1</id>"
    f"<GNBDUFunction xmlns='{GNBDU}'><id>1</id>"
    f"<NRCellDU xmlns='{CELL}'><id>1</id><RRMPolicyRatio xmlns='{RRM}'><id>embb</id><attributes>"
    "<resourceType>PRB</resourceType><rRMPolicyMemberList><mcc>001</mcc><mnc>01</mnc><sd>000001</sd><sst>1</sst>"
    "</rRMPolicyMemberList><rRMPolicyMaxRatio>50</rRMPolicyMaxRatio></attributes></RRMPolicyRatio>"
    "</NRCellDU></GNBDUFunction></ManagedElement></config>"
)


@pytest.fixture
def fleet() -> Fleet:
    topology = yaml.safe_load((REPO / "topologies" / "l3vpn.clab.yml").read_text())
    return Fleet(
        [SimDeviceSpec("pe1"), SimDeviceSpec("p1"), SimDeviceSpec("pe2"), SimDeviceSpec("gnb1", model="gnb")],
        topology=topology,
    )


@pytest.fixture
def world(fleet: Fleet) -> SimWorld:
    return fleet.world  # the fleet binds its devices to a world with the topology's links


@pytest.fixture
def client(fleet: Fleet, world: SimWorld) -> Iterator[TestClient]:
    with TestClient(build_control_app(fleet, world)) as client:
        yield client


def _slice_latency(fleet: Fleet) -> float:
    state = fleet.device("gnb1").operational()
    return float(
        state.xpath(
            "/*/m:ManagedElement/g:GNBDUFunction/k:kpis/k:slice/k:latency/text()",
            namespaces={"m": ME, "g": GNBDU, "k": KPI},
        )[0]
    )


def test_degrade_kpi_lifecycle(client: TestClient, fleet: Fleet) -> None:
    assert (
        client.post("/faults", json={"kind": "config-change", "device": "gnb1", "config": POLICY}).status_code
        == 201
    )
    before = _slice_latency(fleet)
    response = client.post(
        "/faults", json={"kind": "degrade-kpi", "device": "gnb1", "slice": "1-000001", "latency_ms": 40}
    )
    assert response.status_code == 201, response.text
    fault = response.json()
    assert fault["kind"] == "degrade-kpi" and fault["slice"] == "1-000001" and fault["id"]
    assert _slice_latency(fleet) == pytest.approx(before + 40, abs=0.02)
    listed = client.get("/faults", params={"device": "gnb1", "kind": "degrade-kpi"}).json()["faults"]
    assert [each["id"] for each in listed] == [fault["id"]]
    assert client.get(f"/faults/{fault['id']}").json() == fault
    assert client.delete(f"/faults/{fault['id']}").status_code == 204
    assert _slice_latency(fleet) == pytest.approx(before, abs=0.02)
    assert client.get(f"/faults/{fault['id']}").status_code == 404
    assert client.delete(f"/faults/{fault['id']}").status_code == 404


def test_link_down_and_up(client: TestClient) -> None:
    response = client.post("/faults", json={"kind": "link-down", "link": "p1--pe2"})
    assert response.status_code == 201 and response.json()["link"] == "p1:eth2--pe2:eth1"
    links = {each["id"]: each["up"] for each in client.get("/links").json()["links"]}
    assert links == {"pe1:eth1--p1:eth1": True, "p1:eth2--pe2:eth1": False}
    assert client.delete("/faults").status_code == 204
    assert all(each["up"] for each in client.get("/links").json()["links"])
    assert client.get("/faults").json() == {"faults": []}


def test_fail_commit_reaches_the_device_hook(client: TestClient, fleet: Fleet) -> None:
    assert client.post("/faults", json={"kind": "fail-commit", "device": "pe1"}).status_code == 201
    env = fleet.device("pe1").model.environment
    assert env is not None
    assert env.before_rpc("get") == 0.0
    with pytest.raises(RpcError):
        env.before_rpc("commit")
    assert client.get("/faults").json() == {"faults": []}  # used up
    client.post("/faults", json={"kind": "refuse-connections", "device": "pe1"})
    assert not env.accepts_connection()


def test_out_of_band_change_and_restart(client: TestClient, fleet: Fleet) -> None:
    hostname = (
        f"<config xmlns='{NC}'><system xmlns='http://openconfig.net/yang/system'><config>"
        "<hostname>changed</hostname></config></system></config>"
    )
    device = fleet.device("pe1")
    closed: list[int] = []
    device.open_session(lambda: closed.append(1))
    started = device.started
    assert (
        client.post(
            "/faults", json={"kind": "config-change", "device": "pe1", "config": hostname}
        ).status_code
        == 201
    )
    assert device.datastore.running.xpath(
        "//s:hostname/text()", namespaces={"s": "http://openconfig.net/yang/system"}
    ) == ["changed"]
    response = client.post("/faults", json={"kind": "restart", "device": "pe1"})
    assert response.status_code == 201
    assert closed == [1] and device.session_ids == [] and device.started >= started
    assert [each["kind"] for each in client.get("/faults").json()["faults"]] == ["config-change", "restart"]


def test_devices_listing(client: TestClient) -> None:
    devices = {each["name"]: each for each in client.get("/devices").json()["devices"]}
    assert devices["gnb1"]["platform"] == "rom-ran" and devices["pe1"]["model"] == "router"
    assert client.get("/health").json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"kind": "melt", "device": "pe1"}, 422),
        ({"kind": "latency"}, 422),
        ({"kind": "latency", "device": "nope"}, 404),
        ({"kind": "latency", "device": "pe1", "latency_ms": -5}, 422),
        ({"kind": "latency", "device": "pe1", "bogus": 1}, 422),
        ({"kind": "link-down", "link": "pe1--pe2"}, 404),
        ({"kind": "link-down"}, 422),
        ({"kind": "load", "device": "gnb1", "slice": "999-000001"}, 422),
        ({"kind": "config-change", "device": "pe1", "config": "<config"}, 422),
        ({"kind": "config-change", "device": "pe1"}, 422),
        ({"kind": "degrade-kpi", "device": "gnb1", "throughput_factor": "lots"}, 422),
        ([1, 2, 3], 422),
        ("not json", 422),
    ],
)
def test_bad_input_is_a_4xx_json_error(client: TestClient, body: Any, status: int) -> None:
    response = client.post("/faults", json=body)
    assert response.status_code == status, response.text
    assert "detail" in response.json()


def test_device_refusing_an_action_is_a_conflict(client: TestClient) -> None:
    bad = (
        f"<config xmlns='{NC}'><interfaces xmlns='http://openconfig.net/yang/interfaces'><interface>"
        "<name>Ethernet1</name><config><mtu>99999</mtu></config></interface></interfaces></config>"
    )
    response = client.post("/faults", json={"kind": "config-change", "device": "pe1", "config": bad})
    assert response.status_code == 409
    assert response.json()["detail"]["error-tag"] == "invalid-value"
    raw = client.post("/faults", content=b"{", headers={"content-type": "application/json"})
    assert raw.status_code == 422
    assert client.get("/faults").json() == {"faults": []}
