"""YANG validation before anything reaches a device, beyond intake: a dry run and the executor's
plan (before stage) refuse a payload the gNB's YANG (3GPP Release 17 + ROM's augment) refuses,
naming the path; the gNB is never written. The case: a spec whose author forgot the ratio bound
(a `slice-ran` copy without `maximum: 100`), and an order stored while validation was off."""

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
from intent.catalog import Catalog
from inventory.context import Context
from inventory.records import utcnow
from lab.support import netconf_connect
from rom import order_store as store
from rom.executor import dry_run, execute_order
from rom.orders import submit_order
from sims.fleet import FleetThread, SimDeviceSpec
from tests.integration.conftest import make_settings, register_fleet
from tests.yanglint import PROJECT_YANG, REFERENCE

pytestmark = pytest.mark.integration
VALUES = {"device": "gnb1", "cellId": "1", "policyId": "urllc-1", "sst": 2, "sd": "00A0B1"}
ORDER = {
    "orderItem": [
        {
            "id": "ran",
            "action": "add",
            "resourceSpecification": {"id": "slice-ran"},
            "resource": {
                "resourceCharacteristic": [
                    {"name": k, "value": v}
                    for k, v in {**VALUES, "maxRatio": 150, "minRatio": 10, "dedicatedRatio": 0}.items()
                ]
            },
        }
    ]
}


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
        assert store.claim_order(session, row, "t", utcnow() + timedelta(seconds=60))
    assert execute_order(lab.on, doc["id"]) == "failed"
    with lab.on.sessions() as session:
        row = store.get_order(session, doc["id"])
        assert row is not None
        notes = " ".join(n["text"] for n in row.doc.get("note", []))
    assert "breaks its YANG" in notes and "rRMPolicyMaxRatio" in notes, notes
    assert lab.running() == before
