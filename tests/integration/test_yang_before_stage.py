"""YANG validation before anything reaches a device, beyond intake: a dry run and the executor's
plan (before stage) refuse a payload the gNB's YANG (3GPP Release 17 + ROM's augment) refuses,
naming the path; the gNB is never written. The case: a spec whose author forgot the ratio bound
(a `slice-ran` copy without `maximum: 100`), and an order stored while validation was off.

Checked once: intake records a stamp (model set + payloads) on the order and the plan before stage
skips the check when the stamp still holds, also after a restart; another model set or another
rendering (the catalog changed) is checked again. Drift remediation checks what it would push too."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from core.errors import Unprocessable
from core.tmf652 import ResourceOrderCreate
from drift.remediate import remediate
from intent.catalog import Catalog
from intent.yang import check
from inventory.context import Context
from inventory.records import utcnow
from lab.support import netconf_connect
from rom import order_store as store
from rom.executor import dry_run, execute_order, plan
from rom.orders import submit_order
from sims.fleet import FleetThread, SimDeviceSpec
from tests.integration.conftest import make_settings, register_fleet
from tests.yanglint import PROJECT_YANG, REFERENCE

pytestmark = pytest.mark.integration
VALUES = {"device": "gnb1", "cellId": "1", "policyId": "urllc-1", "sst": 2, "sd": "00A0B1"}


def ran_order(max_ratio: int) -> dict[str, Any]:
    values = {**VALUES, "maxRatio": max_ratio, "minRatio": 10, "dedicatedRatio": 0}
    return {
        "orderItem": [
            {
                "id": "ran",
                "action": "add",
                "resourceSpecification": {"id": "slice-ran"},
                "resource": {"resourceCharacteristic": [{"name": k, "value": v} for k, v in values.items()]},
            }
        ]
    }


ORDER = ran_order(150)


@dataclasses.dataclass
class Lab:
    fleet: FleetThread
    off: Context  # ROM_YANG_PATH empty
    on: Context  # ROM_YANG_PATH: 3GPP Release 17 + yang/

    def running(self) -> bytes:
        ep = self.fleet.endpoint("gnb1")
        with netconf_connect(ep.host, ep.netconf_port) as m:
            return etree.tostring(etree.fromstring(m.get_config(source="running").data_xml.encode()))


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    root = tmp_path / "templates"
    shutil.copytree(Catalog.load().root / "slice-ran", root / "slice-ran")
    spec = root / "slice-ran" / "spec.yaml"
    spec.write_text(
        spec.read_text().replace(
            "  maxRatio:\n    type: integer\n    minimum: 0\n    maximum: 100\n",
            "  maxRatio:\n    type: integer\n",
        )
    )
    catalog = Catalog.load(root)
    yang_path = f"{REFERENCE / '3gpp'}:{PROJECT_YANG}"
    with FleetThread([SimDeviceSpec("gnb1", "gnb")]) as fleet:
        common: dict[str, Any] = {"kpi_baselines": False, "reachability_checks": False}
        off = dataclasses.replace(Context.create(make_settings(tmp_path, **common)), catalog=catalog)
        on = Context.create(make_settings(tmp_path, yang_path=yang_path, **common))
        on = dataclasses.replace(on, catalog=catalog)
        register_fleet(off, fleet)
        yield Lab(fleet, off, on)
        off.engine.dispose()
        on.engine.dispose()


def test_a_dry_run_refuses_what_the_gnbs_yang_refuses(lab: Lab) -> None:
    request = ResourceOrderCreate.model_validate(ORDER).model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    before = lab.running()
    with pytest.raises(Unprocessable, match=r"gnb1 \(rom-ran\) breaks its YANG: .*rRMPolicyMaxRatio"):
        dry_run(lab.on, request)
    assert lab.running() == before


def test_intake_refuses_it_with_validation_on(lab: Lab) -> None:
    with pytest.raises(Unprocessable, match=r"rRMPolicyMaxRatio"):
        submit_order(lab.on, ResourceOrderCreate.model_validate(ORDER), "yang")


def test_an_order_stored_without_validation_fails_before_stage(lab: Lab) -> None:
    before = lab.running()
    doc, _ = submit_order(lab.off, ResourceOrderCreate.model_validate(ORDER), "yang")  # validation off
    with lab.on.transaction() as session:
        row = store.get_order(session, doc["id"])
        assert row is not None
        assert row.yang_checked is None  # not checked at intake: checked before stage
        assert store.claim_order(session, row, "t", utcnow() + timedelta(seconds=60))
    assert execute_order(lab.on, doc["id"]) == "failed"
    with lab.on.sessions() as session:
        row = store.get_order(session, doc["id"])
        assert row is not None
        notes = " ".join(n["text"] for n in row.doc.get("note", []))
    assert "breaks its YANG" in notes and "rRMPolicyMaxRatio" in notes, notes
    assert lab.running() == before


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The devices whose payloads the YANG check validates (a spy on intent.yang.check.problems)."""
    seen: list[str] = []
    real = check.problems

    def spy(want: Any, platform: str, directories: Any) -> list[str]:
        seen.append(want.device)
        return real(want, platform, directories)

    monkeypatch.setattr(check, "problems", spy)
    return seen


def stored(ctx: Context, max_ratio: int) -> store.OrderRow:
    doc, _ = submit_order(ctx, ResourceOrderCreate.model_validate(ran_order(max_ratio)), "yang")
    with ctx.sessions() as session:
        row = store.get_order(session, doc["id"])
        assert row is not None
        return row


def doubled_ratio(ctx: Context, tmp_path: Path) -> Context:
    """`ctx` with a catalog whose slice-ran template writes twice the max ratio (a changed template)."""
    root = tmp_path / "changed"
    shutil.copytree(ctx.catalog.root, root)
    template = root / "slice-ran" / "rrm-policy.json.j2"
    template.write_text(
        template.read_text().replace("{{ maxRatio | tojson }}", "{{ (maxRatio * 2) | tojson }}")
    )
    return dataclasses.replace(ctx, catalog=Catalog.load(root))


def test_intake_records_the_check_and_the_plan_does_not_repeat_it(lab: Lab, checks: list[str]) -> None:
    row = stored(lab.on, 80)
    assert row.yang_checked and checks == ["gnb1"]
    check._MODEL_SETS.clear()  # a restart: the model set is read from the files again
    plan(lab.on, row.request, row.yang_checked)
    assert checks == ["gnb1"]  # not checked again
    plan(lab.on, row.request, None)  # an order without the stamp is
    assert checks == ["gnb1", "gnb1"]


def test_another_model_set_is_checked_again(lab: Lab, tmp_path: Path, checks: list[str]) -> None:
    row = stored(lab.on, 80)
    ours = tmp_path / "our-yang"
    shutil.copytree(PROJECT_YANG, ours)
    module = ours / "rom-nr-rrm-ext.yang"
    module.write_text(module.read_text() + "\n// a new release of the device's modules\n")
    other = Context.create(make_settings(tmp_path, yang_path=f"{REFERENCE / '3gpp'}:{ours}"))
    try:
        plan(dataclasses.replace(other, catalog=lab.on.catalog), row.request, row.yang_checked)
    finally:
        other.engine.dispose()
    assert checks == ["gnb1", "gnb1"]


def test_a_payload_rendered_otherwise_since_intake_is_checked_again(lab: Lab, tmp_path: Path) -> None:
    row = stored(lab.on, 80)  # valid at intake
    changed = doubled_ratio(lab.on, tmp_path)  # the catalog changed across a restart
    with pytest.raises(Unprocessable, match=r"gnb1 \(rom-ran\) breaks its YANG: .*rRMPolicyMaxRatio"):
        plan(changed, row.request, row.yang_checked)


def test_drift_remediation_refuses_an_intent_the_yang_refuses(lab: Lab, tmp_path: Path) -> None:
    """The resource is valid when ordered; the catalog changes (a restart with another template)
    and the gNB now drifts from an intent its YANG refuses: remediation pushes nothing."""
    row = stored(lab.on, 80)
    with lab.on.transaction() as session:
        claimed = store.get_order(session, row.id)
        assert claimed is not None and store.claim_order(
            session, claimed, "t", utcnow() + timedelta(seconds=60)
        )
    assert execute_order(lab.on, row.id) == "completed"
    before = lab.running()
    changed = doubled_ratio(lab.on, tmp_path)
    refused = r"remediation refused, nothing pushed: resource .*gnb1 \(rom-ran\) breaks its YANG: "
    for apply in (False, True):
        with pytest.raises(Unprocessable, match=refused + ".*rRMPolicyMaxRatio"):
            remediate(changed, device="gnb1", apply=apply)
    assert lab.running() == before
    assert remediate(lab.on, device="gnb1").payloads == {}  # with the catalog it was ordered with: in sync
