"""A real `rom serve` with `ROM_YANG_PATH` (upstream OpenConfig): an order whose rendered payload
breaks the router's YANG is a 422 at intake, naming the path, and no device is touched; the
example order still completes with validation on.

`ROM_CATALOG_DIR` serves the shipped specs plus `tests/catalogs/yang-breakers/`, specs whose
templates break OpenConfig (a VLAN id of 5000, an unknown leaf, a list entry without its key) over
gNMI and over NETCONF: no valid order of the shipped catalog reaches the YANG check with those,
since its bounds equal the YANG's. Each is a 422 with nothing reserved and no device touched."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree
from sqlalchemy import create_engine, func, select

from intent.catalog import TEMPLATES_DIR
from inventory.pool_store import CounterRow, ReservationRow
from lab.support import REPO, free_port, netconf_connect, running_lab, serving, wait_order
from tests.e2e.conftest import TOPOLOGY
from tests.yanglint import REFERENCE

pytestmark = pytest.mark.e2e
ORDERS = "/tmf-api/resourceOrderingManagement/v4/resourceOrder"
EXAMPLE: dict[str, Any] = json.loads((REPO / "docs" / "examples" / "l3vpn-order.json").read_text())
BREAKERS = REPO / "tests" / "catalogs" / "yang-breakers"


class Lab:
    def __init__(self, var_dir: Path, api: httpx.Client) -> None:
        self.api = api
        self.db = create_engine(f"sqlite:///{var_dir / 'rom.db'}")
        data = json.loads((var_dir / "lab" / "rom-l3vpn" / "endpoints.json").read_text())
        self.devices = {d["name"]: d for d in data["devices"]}

    def reserved(self) -> tuple[int, int]:
        """(reservations held, capacity used), over every pool."""
        with self.db.connect() as conn:
            held = conn.scalar(select(func.count()).select_from(ReservationRow))
            used = conn.scalar(select(func.coalesce(func.sum(CounterRow.used), 0)))
        return int(held or 0), int(used or 0)

    def running(self, device: str) -> bytes:
        ep = self.devices[device]
        with netconf_connect(ep["host"], ep["netconf_port"]) as m:
            return etree.tostring(etree.fromstring(m.get_config(source="running").data_xml.encode()))


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    assert (REFERENCE / "openconfig").is_dir(), f"upstream modules missing at {REFERENCE}"
    var_dir = tmp_path_factory.mktemp("yang")
    port = free_port()
    env = {**os.environ, "ROM_VAR_DIR": str(var_dir), "ROM_API_URL": f"http://127.0.0.1:{port}"}
    env["ROM_YANG_PATH"] = str(REFERENCE / "openconfig")
    catalog = var_dir / "catalog"  # the shipped specs and the breakers, as an operator's own would be
    shutil.copytree(TEMPLATES_DIR, catalog)
    shutil.copytree(BREAKERS, catalog, dirs_exist_ok=True)
    env["ROM_CATALOG_DIR"] = str(catalog)
    env.pop("ROM_DATABASE_URL", None)
    with running_lab(env, TOPOLOGY), serving(env, var_dir / "serve.log", port) as client:
        lab = Lab(var_dir, client)
        yield lab
        lab.db.dispose()


def with_values(**values: Any) -> dict[str, Any]:
    body = copy.deepcopy(EXAMPLE)
    body.pop("externalId", None)
    for item in body["orderItem"]:
        for ch in item["resource"]["resourceCharacteristic"]:
            ch["value"] = values.get(ch["name"], ch["value"])
    return body


def test_a_payload_breaking_the_routers_yang_is_422_and_touches_nothing(lab: Lab) -> None:
    before = {d: lab.running(d) for d in ("pe1", "pe2")}
    # the catalog's pattern takes ASN:nn of any size; OpenConfig's route-distinguisher does not
    refused = lab.api.post(ORDERS, json=with_values(routeDistinguisher="70000:70000", vrfName="BAD"))
    assert refused.status_code == 422, refused.text
    error = refused.json()
    assert error["code"] and error["reason"]
    assert "breaks its YANG" in error["message"] and "route-distinguisher" in error["message"]
    assert {d: lab.running(d) for d in ("pe1", "pe2")} == before
    listed = lab.api.get(ORDERS).json()
    assert listed == []  # nothing was persisted


def breaker(spec_id: str, vlan_id: int) -> dict[str, Any]:
    values = {"device": "pe1", "interface": "Ethernet2", "vlanId": vlan_id, "bandwidthMbps": 10}
    chars = [{"name": k, "value": v} for k, v in values.items()]
    item = {"id": "1", "action": "add", "resourceSpecification": {"id": spec_id}}
    return {"orderItem": [{**item, "resource": {"resourceCharacteristic": chars}}]}


@pytest.mark.parametrize(
    ("spec_id", "vlan_id", "reason"),
    [
        pytest.param(
            "gnmi-vlan", 5000, r"single-tagged/config/vlan-id\} invalid-type: not in range", id="gnmi-vlan"
        ),
        pytest.param("gnmi-unknown-leaf", 100, r"config/colour\} unknown-element", id="gnmi-unknown-leaf"),
        pytest.param(
            "gnmi-missing-key",
            100,
            r"interfaces/interface\[1\]\} missing-data: expected 'name'",
            id="gnmi-missing-key",
        ),
        pytest.param(
            "netconf-vlan",
            5000,
            r"single-tagged/config/vlan-id\} invalid-type: not in range",
            id="netconf-vlan",
        ),
        pytest.param(
            "netconf-unknown-leaf", 100, r"config/colour\} unknown-element", id="netconf-unknown-leaf"
        ),
        pytest.param(
            "netconf-missing-key",
            100,
            r"interfaces/interface\[1\]\} missing-data: expected 'name'",
            id="netconf-missing-key",
        ),
    ],
)
def test_a_template_breaking_the_yang_is_422_over_gnmi_and_netconf(
    lab: Lab, spec_id: str, vlan_id: int, reason: str
) -> None:
    before, orders, reserved = lab.running("pe1"), lab.api.get(ORDERS).json(), lab.reserved()
    refused = lab.api.post(ORDERS, json=breaker(spec_id, vlan_id))
    assert refused.status_code == 422, refused.text
    error = refused.json()
    assert error["code"] and error["reason"]
    assert "orderItem 1 role pe: the payload for pe1 (rom-router) breaks its YANG: " in error["message"]
    assert re.search(reason, error["message"]), error["message"]
    assert lab.running("pe1") == before  # no device touched
    assert lab.api.get(ORDERS).json() == orders  # nothing persisted
    assert lab.reserved() == reserved  # the bandwidth intake reserved is rolled back


def test_the_example_order_completes_with_validation_on(lab: Lab) -> None:
    created = lab.api.post(ORDERS, json=EXAMPLE)
    assert created.status_code == 201, created.text
    final = wait_order(lab.api, created.json()["id"])
    assert final["state"] == "completed", final.get("note")
    assert b"CUST-A" in lab.running("pe1")
