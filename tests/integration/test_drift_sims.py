"""Drift on real simulators: out-of-band changes through the fleet's fault endpoint over HTTP show up
in the report; remediate and adopt bring it back in sync; the periodic pass marks resources."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from core import outbox
from core.db import utcnow
from core.tmf652 import ResourceOrderCreate
from drift.monitor import DRIFT_TOPIC, reconcile_and_record
from drift.reconcile import ResourceDrift, reconcile
from drift.remediate import adopt, remediate
from drift.report import EXIT_DRIFT, EXIT_ERROR, EXIT_IN_SYNC, exit_code, render_json
from inventory.context import Context
from inventory.records import Resource, list_resources
from rom import order_store as store
from rom.executor import execute_order
from rom.orders import submit_order
from sims.fleet import FleetThread, SimDeviceSpec
from tests.integration.conftest import l3vpn_item, make_settings, order, register_fleet

NC = 'xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0"'
NI = "http://openconfig.net/yang/network-instance"
NI_TYPES = "http://openconfig.net/yang/network-instance-types"


@dataclass
class Lab:
    ctx: Context
    control: httpx.Client
    resource: Resource

    def fault(self, **body: object) -> str:
        response = self.control.post("/faults", json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def oob(self, device: str, config: str) -> None:
        self.fault(kind="config-change", device=device, config=f"<config {NC}>{config}</config>")


def vrf(name: str, rd: str | None = None, delete: bool = False, new: bool = False) -> str:
    op = ' nc:operation="delete"' if delete else ""
    body = ""
    if not delete:
        kind = f'<type xmlns:oc-ni-types="{NI_TYPES}">oc-ni-types:L3VRF</type>' if new else ""
        body = f"<config><name>{name}</name>{kind}<route-distinguisher>{rd}</route-distinguisher></config>"
    entry = f"<network-instance{op}><name>{name}</name>{body}</network-instance>"
    return f'<network-instances xmlns="{NI}">{entry}</network-instances>'


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with FleetThread([SimDeviceSpec("pe1"), SimDeviceSpec("pe2")]) as fleet:
        ctx = Context.create(make_settings(tmp_path, kpi_baselines=False))
        register_fleet(ctx, fleet)
        body = ResourceOrderCreate.model_validate(order(l3vpn_item("1", "pe1", "VD", 300)))
        doc, _ = submit_order(ctx, body, "cid")
        with ctx.transaction() as session:
            row = store.get_order(session, doc["id"])
            assert row is not None and store.claim_order(session, row, "t", utcnow() + timedelta(seconds=60))
        assert execute_order(ctx, doc["id"]) == "completed"
        with ctx.sessions() as session:
            [resource] = list_resources(session)
        assert fleet.control_url is not None
        with httpx.Client(base_url=fleet.control_url, timeout=30) as control:
            yield Lab(ctx, control, resource)
        ctx.engine.dispose()


def kinds(report: list[ResourceDrift]) -> list[tuple[str, str, str]]:
    return sorted(
        (r.device, d.kind + (" (unmanaged)" if r.unmanaged else ""), d.path)
        for r in report
        for d in r.differences
    )


RD_PATH = "/network-instances/network-instance[name=VD]/config/route-distinguisher"


def test_changed_leaf_then_adopt(lab: Lab) -> None:
    assert (
        kinds(reconcile(lab.ctx)) == [] and exit_code(reconcile(lab.ctx, mode="check-sync")) == EXIT_IN_SYNC
    )
    lab.oob("pe1", vrf("VD", rd="65000:999"))
    assert [(r.device, r.differences[0].kind) for r in reconcile(lab.ctx, mode="check-sync")] == [
        ("pe1", "out-of-sync")
    ]
    report = reconcile(lab.ctx)
    assert kinds(report) == [("pe1", "changed", RD_PATH)] and exit_code(report) == EXIT_DRIFT
    assert '"actual": "65000:999"' in render_json(report)
    result = adopt(lab.ctx, device="pe1")
    assert result.adopted == {lab.resource.id: {"routeDistinguisher": "65000:999"}}, result.not_adoptable
    assert kinds(reconcile(lab.ctx)) == []
    with lab.ctx.sessions() as session:
        assert session.get(Resource, lab.resource.id).characteristics["routeDistinguisher"] == "65000:999"  # type: ignore[union-attr]


def test_changed_leaf_dry_run_then_remediate(lab: Lab) -> None:
    lab.oob("pe1", vrf("VD", rd="65000:5"))
    dry = remediate(lab.ctx)
    assert set(dry.payloads) == {"pe1"} and not dry.applied and "65000:1" in dry.diffs["pe1"]["netconf"]
    assert kinds(reconcile(lab.ctx)) == [("pe1", "changed", RD_PATH)]  # the dry run pushed nothing
    assert remediate(lab.ctx, apply=True).applied
    assert (
        kinds(reconcile(lab.ctx)) == [] and exit_code(reconcile(lab.ctx, mode="check-sync")) == EXIT_IN_SYNC
    )


def test_deleted_vrf_is_missing_and_remediated(lab: Lab) -> None:
    lab.oob("pe1", vrf("VD", delete=True))
    assert kinds(reconcile(lab.ctx)) == [("pe1", "missing", "/network-instances/network-instance[name=VD]")]
    assert adopt(lab.ctx).adopted == {}  # nothing a characteristic could take
    assert remediate(lab.ctx, apply=True).applied
    assert kinds(reconcile(lab.ctx)) == []


def test_extra_vrf_is_unmanaged_and_pruned(lab: Lab) -> None:
    lab.oob("pe2", vrf("ROGUE", rd="65000:77", new=True))
    report = reconcile(lab.ctx)
    assert kinds(report) == [
        ("pe2", "unexpected (unmanaged)", "/network-instances/network-instance[name=ROGUE]")
    ]
    assert exit_code(report) == EXIT_DRIFT
    assert not remediate(lab.ctx).payloads  # only with --prune-unmanaged
    assert remediate(lab.ctx, apply=True, prune_unmanaged=True).applied
    assert kinds(reconcile(lab.ctx)) == []


def test_unreachable_device_and_periodic_marking(lab: Lab) -> None:
    refuse = lab.fault(kind="refuse-connections", device="pe1")
    lab.fault(kind="drop-sessions", device="pe1")  # pooled sessions go too
    report = reconcile_and_record(lab.ctx)
    assert [(r.device, r.differences[0].kind) for r in report if not r.in_sync] == [("pe1", "unreachable")]
    assert exit_code(report) == EXIT_ERROR
    assert lab.control.delete(f"/faults/{refuse}").status_code == 204
    lab.oob("pe1", vrf("VD", rd="65000:6"))
    reconcile_and_record(lab.ctx)
    with lab.ctx.sessions() as session:
        assert session.get(Resource, lab.resource.id).resource_status == "alarm"  # type: ignore[union-attr]
    remediate(lab.ctx, apply=True)
    reconcile_and_record(lab.ctx)
    with lab.ctx.sessions() as session:
        assert session.get(Resource, lab.resource.id).resource_status == "available"  # type: ignore[union-attr]
        events = [(e.key, e.payload["status"]) for e in outbox.list_events(session, DRIFT_TOPIC)]
    assert events == [("pe1", "unreachable"), ("pe1", "drifted"), ("pe1", "in-sync")]


def test_reconciliation_leaves_an_alarm_it_did_not_raise(lab: Lab) -> None:
    with lab.ctx.transaction() as session:  # what the SLA monitor's TMF639 PATCH leaves
        row = session.get(Resource, lab.resource.id)
        assert row is not None
        row.resource_status, row.status_by = "alarm", ""
    report = reconcile_and_record(lab.ctx)
    assert [(r.resource_id, r.in_sync) for r in report if r.resource_id] == [(lab.resource.id, True)]
    assert all(r.in_sync for r in report)
    with lab.ctx.sessions() as session:
        assert session.get(Resource, lab.resource.id).resource_status == "alarm"  # type: ignore[union-attr]
