"""A real `rom serve` with `ROM_YANG_PATH` (upstream OpenConfig): an order whose rendered payload
breaks the router's YANG is a 422 at intake, naming the path, and no device is touched; the
example order still completes with validation on."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from lxml import etree

from lab.support import REPO, free_port, netconf_connect, running_lab, serving, wait_order
from tests.e2e.conftest import TOPOLOGY
from tests.yanglint import REFERENCE

pytestmark = pytest.mark.e2e
ORDERS = "/tmf-api/resourceOrderingManagement/v4/resourceOrder"
EXAMPLE: dict[str, Any] = json.loads((REPO / "docs" / "examples" / "l3vpn-order.json").read_text())


class Lab:
    def __init__(self, var_dir: Any, api: httpx.Client) -> None:
        self.api = api
        data = json.loads((var_dir / "lab" / "rom-l3vpn" / "endpoints.json").read_text())
        self.devices = {d["name"]: d for d in data["devices"]}

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
    env.pop("ROM_DATABASE_URL", None)
    with running_lab(env, TOPOLOGY), serving(env, var_dir / "serve.log", port) as client:
        yield Lab(var_dir, client)


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


def test_the_example_order_completes_with_validation_on(lab: Lab) -> None:
    created = lab.api.post(ORDERS, json=EXAMPLE)
    assert created.status_code == 201, created.text
    final = wait_order(lab.api, created.json()["id"])
    assert final["state"] == "completed", final.get("note")
    assert b"CUST-A" in lab.running("pe1")
