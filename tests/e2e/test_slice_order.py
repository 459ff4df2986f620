"""The seed's 5G slice order through the TMF652 API: RAN (gNMI), transport QoS (gNMI) and core (NETCONF),
read back with independent clients (pygnmi, ncclient); the gNB-side PE's probe of the UPF's N3
address is recorded, and with the PE-UPF link down (the simulators' control API) the order fails at
that check with every device as before; a PRB share over the cell's capacity is refused at intake; a
RAN refusal rolls every device back."""

from __future__ import annotations

import copy
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy
from lxml import etree
from pygnmi.client import gNMIclient

from inventory.pool_store import ReservationRow
from lab.support import REPO, netconf_connect, running_lab, serving

pytestmark = pytest.mark.e2e
TOPOLOGY = REPO / "topologies" / "5g-slice.clab.yml"
ORDERS = "/tmf-api/resourceOrderingManagement/v4/resourceOrder"
OUT_OF_BAND_POLICY = (
    "<config xmlns='urn:ietf:params:xml:ns:netconf:base:1.0'>"
    "<ManagedElement xmlns='urn:3gpp:sa5:_3gpp-common-managed-element'><id>gnb1</id>"
    "<GNBDUFunction xmlns='urn:3gpp:sa5:_3gpp-nr-nrm-gnbdufunction'><id>1</id>"
    "<NRCellDU xmlns='urn:3gpp:sa5:_3gpp-nr-nrm-nrcelldu'><id>2</id>"
    "<RRMPolicyRatio xmlns='urn:rom:yang:rom-nr-rrm-ext'><id>embb-0</id><attributes>"
    "<resourceType>PRB</resourceType><rRMPolicyMaxRatio>100</rRMPolicyMaxRatio>"
    "<rRMPolicyMinRatio>60</rRMPolicyMinRatio><rRMPolicyDedicatedRatio>60</rRMPolicyDedicatedRatio>"
    "<rRMPolicyMemberList><mcc>001</mcc><mnc>01</mnc><sd>FFFFFF</sd><sst>1</sst></rRMPolicyMemberList>"
    "</attributes></RRMPolicyRatio></NRCellDU></GNBDUFunction></ManagedElement></config>"
)
SLICE: dict[str, Any] = json.loads((REPO / "docs" / "examples" / "5g-slice-order.json").read_text())
N3_PAIR = "pe1 -> 10.3.0.10 (upf1) in default"


class Slice:
    def __init__(self, var_dir: Path, api: httpx.Client) -> None:
        self.api = api
        self.database = f"sqlite:///{var_dir / 'rom.db'}"  # what `rom serve` uses there
        self.var_dir = var_dir
        data = json.loads((var_dir / "lab" / "rom-5g-slice" / "endpoints.json").read_text())
        self.devices = {d["name"]: d for d in data["devices"]}
        self.control_url = data["control_url"]

    def probes(self, order_id: str) -> list[dict[str, Any]]:
        """The order's `reachability` step results, from the lab's database."""
        with sqlite3.connect(f"file:{self.var_dir / 'rom.db'}?mode=ro", uri=True) as db:
            rows = db.execute(
                "SELECT detail FROM order_steps WHERE order_id = ? AND step = 'reachability'", (order_id,)
            ).fetchall()
        assert len(rows) == 1, rows
        results: list[dict[str, Any]] = json.loads(rows[0][0])["results"]
        return results

    def netconf_running(self, device: str) -> bytes:
        ep = self.devices[device]
        with netconf_connect(ep["host"], ep["netconf_port"]) as m:
            return etree.tostring(etree.fromstring(m.get_config(source="running").data_xml.encode()))

    def gnmi_config(self, device: str) -> str:
        ep = self.devices[device]
        with gNMIclient(
            target=(ep["host"], ep["gnmi_port"]), username="admin", password="admin", insecure=True
        ) as gc:
            reply = gc.get(path=["/"], datatype="config", encoding="json_ietf")
        updates = [n.get("update") for n in reply.get("notification", [])]  # timestamps left out
        return json.dumps(updates, sort_keys=True)

    def snapshot(self) -> dict[str, bytes]:
        """The running config of every device the slice touches (NETCONF and gNMI alike)."""
        return {d: self.netconf_running(d) for d in ("upf1", "smf1")} | {
            d: self.gnmi_config(d).encode() for d in ("gnb1", "pe1")
        }

    def reservations(self) -> list[tuple[str, str, str, int]]:
        engine = sqlalchemy.create_engine(self.database)
        try:
            with engine.connect() as db:
                rows = db.execute(sqlalchemy.select(ReservationRow)).all()
        finally:
            engine.dispose()
        return sorted((r.pool, r.scope, r.value, r.amount) for r in rows)

    def run(self, body: dict[str, Any]) -> dict[str, Any]:
        created = self.api.post(ORDERS, json=body)
        assert created.status_code == 201, created.text
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            order: dict[str, Any] = self.api.get(f"{ORDERS}/{created.json()['id']}").json()
            if order["state"] in {"completed", "failed"}:
                return order
            time.sleep(0.05)
        raise AssertionError("slice order did not finish")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slice]:
    var_dir = tmp_path_factory.mktemp("slice")
    env = {**os.environ, "ROM_VAR_DIR": str(var_dir)}
    env.pop("ROM_DATABASE_URL", None)
    with running_lab(env, TOPOLOGY), serving(env, var_dir / "serve.log") as api:
        yield Slice(var_dir, api)


def test_slice_order_configures_ran_transport_and_core(lab: Slice) -> None:
    order = lab.run(SLICE)
    assert order["state"] == "completed", order.get("note")
    assert "urllc-1" in lab.gnmi_config("gnb1")
    assert "SLICE-URLLC" in lab.gnmi_config("pe1")
    for device in ("upf1", "smf1"):
        running = lab.netconf_running(device).decode()
        assert "factory.urllc" in running and "00A0B1" in running.upper()
    notes = " ".join(n["text"] for n in order["note"])
    assert f"reachability gnb-pe-to-upf-n3 {N3_PAIR}: 3/3 answered, 0% loss" in notes
    [probe] = lab.probes(order["id"])
    assert (probe["pair"], probe["sent"], probe["received"], probe["problem"]) == (N3_PAIR, 3, 3, None)


def test_the_same_slice_twice_is_refused_naming_its_owner(lab: Slice) -> None:
    """The example has no externalId: submitting it again is a 409 naming the resource that already
    holds the slice; no pool is reserved twice and no device changes."""
    before, held = lab.snapshot(), lab.reservations()
    resources = lab.api.get("/tmf-api/resourceInventoryManagement/v4/resource").json()
    owner = next(r for r in resources if r["name"] == "slice-2-00A0B1-factory.urllc@upf1+smf1")
    refused = lab.api.post(ORDERS, json=SLICE)
    assert refused.status_code == 409, refused.text
    message = refused.json()["message"]
    assert f"repeats resource {owner['id']} ({owner['name']})" in message
    assert "sNSSAIList[sd=00A0B1][sst=2]" in message and "on upf1" in message
    assert lab.reservations() == held and held
    assert lab.snapshot() == before


def variant(values: dict[str, Any]) -> dict[str, Any]:
    """The sample slice order with some characteristics changed (another S-NSSAI, policy, queue)."""
    body = copy.deepcopy(SLICE)
    values = {
        "sd": "00B0C1",
        "dnn": "factory.second",
        "policyId": "second",
        "queueName": "SLICE-SECOND",
    } | values
    for item in body["orderItem"]:
        for ch in item["resource"]["resourceCharacteristic"]:
            ch["value"] = values.get(ch["name"], ch["value"])
    return body


def test_pe_to_upf_link_down_fails_the_slice_at_its_n3_check(lab: Slice) -> None:
    """pe2-upf1 down: pe1 no longer reaches the UPF's N3 address; the order fails at the reachability
    check naming the pair, every device of every protocol reads back as before, nothing is kept."""
    before, held = lab.snapshot(), lab.reservations()
    with httpx.Client(base_url=lab.control_url, timeout=10) as control:
        fault = control.post("/faults", json={"kind": "link-down", "link": "pe2--upf1"})
        assert fault.status_code == 201, fault.text
        try:
            order = lab.run(variant({}))
        finally:
            control.delete(f"/faults/{fault.json()['id']}")
    assert order["state"] == "failed"
    reasons = " ".join(n["text"] for n in order["note"] if n.get("author") == "ROM")
    assert f"reachability gnb-pe-to-upf-n3 {N3_PAIR}: 100% loss" in reasons
    assert "no path of up links from pe1 to upf1" in reasons
    assert lab.snapshot() == before
    assert lab.reservations() == held
    [probe] = lab.probes(order["id"])
    assert probe["lossPercent"] == 100 and probe["problem"]


def test_prb_share_over_capacity_is_refused_before_anything_is_pushed(lab: Slice) -> None:
    """The first slice holds 20 % of cell 1: a second asking 90 % is a 409 naming the cell."""
    before = lab.snapshot()
    refused = lab.api.post(ORDERS, json=variant({"dedicatedRatio": 90, "minRatio": 90, "maxRatio": 95}))
    assert refused.status_code == 409, refused.text
    assert "minRatio 90 requested on gnb1/1/1" in refused.json()["message"]
    assert "80 of 100 free" in refused.json()["message"]
    assert lab.snapshot() == before


def test_ran_refusal_rolls_back_every_protocol(lab: Slice) -> None:
    """A policy set on cell 2 behind ROM's back (60 %): ROM's pool accepts 50 % more, the gNB
    refuses the Set (110 %), and every device of every protocol is rolled back."""
    ep = lab.devices["gnb1"]
    with netconf_connect(ep["host"], ep["netconf_port"], timeout=10) as m:
        m.edit_config(config=OUT_OF_BAND_POLICY, target="candidate")
        m.commit()
    before = lab.snapshot()
    order = lab.run(variant({"cellId": "2", "dedicatedRatio": 50, "minRatio": 50, "maxRatio": 95}))
    assert order["state"] == "failed"
    reasons = " ".join(n["text"] for n in order["note"] if n.get("author") == "ROM")
    assert "gnb1" in reasons
    assert lab.snapshot() == before
    # its 50 % went with the failure: 60 % fits the pool again (50 + 60 would not), the gNB refuses
    again = lab.run(variant({"cellId": "2", "dedicatedRatio": 60, "minRatio": 60, "maxRatio": 95}))
    assert again["state"] == "failed"
