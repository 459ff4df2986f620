"""Drift on the 5G simulators: a slice order (slice-core on a UPF and an SMF, slice-ran and
transport-qos over gNMI, an L3VPN endpoint) is executed, then devices are changed out of band
through the fleet's fault endpoint over HTTP. Each resource part is reported on its own device
(the SMF part of slice-core too); remediate and adopt bring the report back in sync."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from lxml import etree

from core import outbox
from core.db import utcnow
from drift.monitor import DRIFT_TOPIC, reconcile_and_record
from drift.reconcile import reconcile
from drift.remediate import adopt, remediate
from drift.report import EXIT_DRIFT, EXIT_IN_SYNC, exit_code, render_json
from inventory.context import Context
from inventory.records import Resource, list_resources
from rom import order_store as store
from rom.executor import execute_order
from rom.orders import submit_order
from sims.fleet import FleetThread, SimDeviceSpec
from tests.integration.conftest import make_settings, register_fleet
from tests.integration.test_catalog_5g_slice import DEVICES, slice_order
from tests.integration.test_drift_sims import kinds

pytestmark = pytest.mark.integration
NC = 'xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0"'
ME = "urn:3gpp:sa5:_3gpp-common-managed-element"
SMF = "urn:3gpp:sa5:_3gpp-5gc-nrm-smffunction"
EXT = "urn:rom:yang:rom-5g-slice-ext"
GNBDU = "urn:3gpp:sa5:_3gpp-nr-nrm-gnbdufunction"
CELL = "urn:3gpp:sa5:_3gpp-nr-nrm-nrcelldu"
RRM = "urn:rom:yang:rom-nr-rrm-ext"
QOS = "http://openconfig.net/yang/qos"
RRM_PATH = (
    "/_3gpp-common-managed-element:ManagedElement[id=gnb1]/_3gpp-nr-nrm-gnbdufunction:GNBDUFunction[id=1]"
    "/_3gpp-nr-nrm-nrcelldu:NRCellDU[id=1]/rom-nr-rrm-ext:RRMPolicyRatio[id=urllc-1]"
)
QUEUE_PATH = (
    "/openconfig-qos:qos/interfaces/interface[interface-id=Ethernet1]/output/queues/queue[name=SLICE-URLLC]"
)
INPUT_PATH = (
    "/openconfig-qos:qos/scheduler-policies/scheduler-policy[name=ROM-EGRESS-Ethernet1]/schedulers"
    "/scheduler[sequence=1]/inputs/input[id=SLICE-URLLC]"
)


@dataclass
class Lab:
    ctx: Context
    control: httpx.Client
    resources: dict[str, Resource]  # by spec id
    fleet: FleetThread

    def running(self, device: str) -> str:
        """The device's running datastore, read inside the simulator."""
        return str(
            self.fleet.call(lambda f: etree.tostring(f.device(device).datastore.running, encoding="unicode"))
        )

    def oob(self, device: str, config: str) -> None:
        body = {"kind": "config-change", "device": device, "config": f"<config {NC}>{config}</config>"}
        response = self.control.post("/faults", json=body)
        assert response.status_code == 201, response.text

    def characteristics(self, spec_id: str) -> dict[str, object]:
        with self.ctx.sessions() as session:
            row = session.get(Resource, self.resources[spec_id].id)
            assert row is not None
            return dict(row.characteristics)


def smf_slice(delete: bool = False, dnn: str = "factory.urllc") -> str:
    op = ' nc:operation="delete"' if delete else ""
    dnns = "" if delete else f'<dnnList xmlns="{EXT}"><dnn>{dnn}</dnn></dnnList>'
    entry = f"<sNSSAIList{op}><sd>00A0B1</sd><sst>2</sst>{dnns}</sNSSAIList>"
    function = f'<SMFFunction xmlns="{SMF}"><id>smf1</id><attributes>{entry}</attributes></SMFFunction>'
    return f'<ManagedElement xmlns="{ME}"><id>smf1</id>{function}</ManagedElement>'


def rrm_policy(body: str) -> str:
    return (
        f'<ManagedElement xmlns="{ME}"><id>gnb1</id><GNBDUFunction xmlns="{GNBDU}"><id>1</id>'
        f'<NRCellDU xmlns="{CELL}"><id>1</id><RRMPolicyRatio xmlns="{RRM}"{body}</RRMPolicyRatio></NRCellDU>'
        "</GNBDUFunction></ManagedElement>"
    )


def scheduler_input(weight: int) -> str:
    return (
        f'<qos xmlns="{QOS}"><scheduler-policies><scheduler-policy><name>ROM-EGRESS-Ethernet1</name>'
        "<schedulers><scheduler><sequence>1</sequence><inputs><input><id>SLICE-URLLC</id>"
        f"<config><weight>{weight}</weight></config></input></inputs></scheduler></schedulers>"
        "</scheduler-policy></scheduler-policies></qos>"
    )


def queue(body: str) -> str:
    return (
        f'<qos xmlns="{QOS}"><interfaces><interface><interface-id>Ethernet1</interface-id>'
        f"<output><queues><queue{body}</queue></queues></output></interface></interfaces></qos>"
    )


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with FleetThread([SimDeviceSpec(name, model) for name, model in DEVICES.items()]) as fleet:
        ctx = Context.create(make_settings(tmp_path, kpi_baselines=False))
        register_fleet(ctx, fleet)
        doc, _ = submit_order(ctx, slice_order(), "cid")
        with ctx.transaction() as session:
            row = store.get_order(session, doc["id"])
            assert row is not None and store.claim_order(session, row, "t", utcnow() + timedelta(seconds=60))
        assert execute_order(ctx, doc["id"]) == "completed"
        with ctx.sessions() as session:
            resources = {r.spec_id: r for r in list_resources(session)}
        assert fleet.control_url is not None
        with httpx.Client(base_url=fleet.control_url, timeout=30) as control:
            yield Lab(ctx, control, resources, fleet)
        ctx.engine.dispose()


def test_check_sync_right_after_the_order_needs_no_compare(lab: Lab) -> None:
    report = reconcile(lab.ctx, mode="check-sync")  # the first reconciliation since the order
    assert exit_code(report) == EXIT_IN_SYNC and len(report) == 5  # slice-core counts twice
    assert {r.checked for r in report} == {"fingerprint"}
    lab.oob(
        "gnb1",
        rrm_policy("><id>urllc-1</id><attributes><rRMPolicyMinRatio>30</rRMPolicyMinRatio></attributes>"),
    )
    lab.oob("smf1", smf_slice(delete=True))
    flagged = [
        (r.device, r.differences[0].kind) for r in reconcile(lab.ctx, mode="check-sync") if not r.in_sync
    ]
    assert sorted(flagged) == [("gnb1", "out-of-sync"), ("smf1", "out-of-sync")]


def test_slice_core_smf_part_drifts_on_the_smf_and_is_remediated(lab: Lab) -> None:
    core = lab.resources["slice-core"]
    parts = [(r.device, r.key) for r in reconcile(lab.ctx) if r.resource_id == core.id]
    assert sorted(parts) == [("smf1", f"{core.id}:smf"), ("upf1", core.id)]
    lab.oob("smf1", smf_slice(delete=True))
    entry = "/ManagedElement[id=smf1]/SMFFunction[id=smf1]/attributes/sNSSAIList[sd=00A0B1][sst=2]"
    report = reconcile(lab.ctx)
    assert kinds(report) == [("smf1", "missing", entry)] and exit_code(report) == EXIT_DRIFT
    assert '"device": "smf1"' in render_json([r for r in report if not r.in_sync])
    assert [
        (r.device, r.differences[0].kind) for r in reconcile(lab.ctx, mode="check-sync") if not r.in_sync
    ] == [("smf1", "out-of-sync")]
    assert kinds(reconcile(lab.ctx, device="smf1")) == [("smf1", "missing", entry)]  # found from the SMF
    reconcile_and_record(lab.ctx)
    with lab.ctx.sessions() as session:
        assert session.get(Resource, core.id).resource_status == "alarm"  # type: ignore[union-attr]
        assert [e.key for e in outbox.list_events(session, DRIFT_TOPIC)] == ["smf1"]
    dry = remediate(lab.ctx)
    assert set(dry.payloads) == {"smf1"} and not dry.applied  # only the drifted role is pushed
    assert "factory.urllc" in dry.diffs["smf1"]["netconf"]
    assert remediate(lab.ctx, apply=True).applied
    assert kinds(reconcile(lab.ctx)) == []
    assert exit_code(reconcile(lab.ctx, mode="check-sync")) == EXIT_IN_SYNC
    assert "<dnn>internet</dnn>" in lab.running("smf1")  # the SMF's other slice is left alone
    reconcile_and_record(lab.ctx)
    with lab.ctx.sessions() as session:
        assert session.get(Resource, core.id).resource_status == "available"  # type: ignore[union-attr]


def test_smf_dnn_changed_is_not_adoptable_then_remediated(lab: Lab) -> None:
    lab.oob("smf1", smf_slice(delete=True))
    lab.oob("smf1", smf_slice(dnn="other.dnn"))
    report = reconcile(lab.ctx, device="smf1")
    assert [r.device for r in report if not r.in_sync] == ["smf1"]
    result = adopt(lab.ctx, device="smf1")
    assert result.adopted == {} and result.not_adoptable  # the DNN names the entry: a key
    assert remediate(lab.ctx, device="smf1", apply=True).applied
    assert kinds(reconcile(lab.ctx)) == []


def test_rrm_policy_changed_ratio_is_adopted(lab: Lab) -> None:
    lab.oob(
        "gnb1",
        rrm_policy("><id>urllc-1</id><attributes><rRMPolicyMaxRatio>70</rRMPolicyMaxRatio></attributes>"),
    )
    report = reconcile(lab.ctx)
    changed = [(r.device, d.kind, d.path, d.intended, d.actual) for r in report for d in r.differences]
    assert changed == [("gnb1", "changed", f"{RRM_PATH}/attributes/rRMPolicyMaxRatio", "60", "70")]
    result = adopt(lab.ctx, device="gnb1")
    assert result.adopted == {lab.resources["slice-ran"].id: {"maxRatio": 70}}, result.not_adoptable
    assert kinds(reconcile(lab.ctx)) == [] and lab.characteristics("slice-ran")["maxRatio"] == 70
    assert exit_code(reconcile(lab.ctx, mode="check-sync")) == EXIT_IN_SYNC


def test_rrm_policy_deleted_is_missing_and_remediated(lab: Lab) -> None:
    lab.oob("gnb1", rrm_policy(' nc:operation="delete"><id>urllc-1</id>'))
    assert kinds(reconcile(lab.ctx)) == [("gnb1", "missing", RRM_PATH)]
    assert adopt(lab.ctx).adopted == {}  # nothing a characteristic could take
    assert remediate(lab.ctx, apply=True).applied
    assert kinds(reconcile(lab.ctx)) == []
    assert exit_code(reconcile(lab.ctx, mode="check-sync")) == EXIT_IN_SYNC


def test_qos_queue_changed_remediated_then_adopted(lab: Lab) -> None:
    priority = f"{INPUT_PATH}/config/weight"  # the queue's weight at its scheduler's input
    lab.oob("pe1", scheduler_input(2))
    assert kinds(reconcile(lab.ctx)) == [("pe1", "changed", priority)]
    dry = remediate(lab.ctx)
    assert set(dry.payloads) == {"pe1"} and list(dry.payloads["pe1"]) == ["gnmi"]
    assert remediate(lab.ctx, apply=True).applied
    assert kinds(reconcile(lab.ctx)) == []
    lab.oob("pe1", scheduler_input(3))
    assert kinds(reconcile(lab.ctx)) == [("pe1", "changed", priority)]
    result = adopt(lab.ctx, device="pe1")
    assert result.adopted == {lab.resources["transport-qos"].id: {"priority": 3}}, result.not_adoptable
    assert kinds(reconcile(lab.ctx)) == [] and lab.characteristics("transport-qos")["priority"] == 3


def test_qos_queue_deleted_is_missing_and_remediated(lab: Lab) -> None:
    lab.oob("pe1", queue(' nc:operation="delete"><name>SLICE-URLLC</name>'))
    assert kinds(reconcile(lab.ctx)) == [("pe1", "missing", QUEUE_PATH)]
    assert remediate(lab.ctx, apply=True).applied
    assert kinds(reconcile(lab.ctx)) == []
