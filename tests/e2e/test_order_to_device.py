"""HTTP in, NETCONF out, state read back from the simulator with an independent NETCONF client."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from ncclient import manager

from lab.support import netconf_connect, wait_order
from tests.e2e.conftest import REPO, Lab

pytestmark = pytest.mark.e2e
ORDERS = "/tmf-api/resourceOrderingManagement/v4/resourceOrder"
RESOURCES = "/tmf-api/resourceInventoryManagement/v4/resource"
NS = {"ni": "http://openconfig.net/yang/network-instance", "if": "http://openconfig.net/yang/interfaces"}
EXAMPLE: dict[str, Any] = json.loads((REPO / "docs" / "examples" / "l3vpn-order.json").read_text())
OOB_EDIT = (REPO / "docs" / "examples" / "oob-change-rd.xml").read_text()


@contextmanager
def netconf(lab: Lab, device: str) -> Iterator[manager.Manager]:
    host, port = lab.endpoint(device)
    with netconf_connect(host, port) as m:
        yield m


def running(lab: Lab, device: str) -> etree._Element:
    with netconf(lab, device) as m:
        return etree.fromstring(m.get_config(source="running").data_xml.encode())


def order_body(vrf: str, vlan: int, devices: tuple[str, ...] = ("pe1", "pe2")) -> dict[str, Any]:
    body = copy.deepcopy(EXAMPLE)
    body.pop("externalId")
    body["orderItem"] = [i for i in body["orderItem"] if _char(i, "device") in devices]
    for item in body["orderItem"]:
        for ch in item["resource"]["resourceCharacteristic"]:
            ch["value"] = {"vrfName": vrf, "vlanId": vlan}.get(ch["name"], ch["value"])
    return body


def _char(item: dict[str, Any], name: str) -> Any:
    return next(c["value"] for c in item["resource"]["resourceCharacteristic"] if c["name"] == name)


def test_order_completes_and_lands_on_both_routers(lab: Lab) -> None:
    created = lab.api.post(ORDERS, json=EXAMPLE, headers={"X-Correlation-ID": "e2e-1"})
    assert created.status_code == 201, created.text
    order = created.json()
    assert order["state"] == "acknowledged"
    assert (
        created.headers["Location"] == order["href"] == str(lab.api.base_url.join(f"{ORDERS}/{order['id']}"))
    )

    final = wait_order(lab.api, order["id"])
    assert final["state"] == "completed", final.get("note")
    assert {i["state"] for i in final["orderItem"]} == {"completed"}

    for device, address in (("pe1", "10.10.0.1"), ("pe2", "10.10.0.5")):
        data = running(lab, device)
        rd = data.xpath(
            "ni:network-instances/ni:network-instance[ni:name='CUST-A']/ni:config/"
            "ni:route-distinguisher/text()",
            namespaces=NS,
        )
        assert rd == ["65000:100"]
        ips = data.xpath(
            "//if:interface[if:name='Ethernet1']//if:subinterface[if:index='100']//*"
            "[local-name()='ip']/text()",
            namespaces=NS,
        )
        assert address in ips

    resources = lab.api.get(RESOURCES).json()
    ids = {i["resource"]["id"] for i in final["orderItem"]}
    assert ids <= {r["id"] for r in resources}
    pe1 = next(r for r in resources if r["name"] == "CUST-A@pe1:Ethernet1.100")
    assert {"name": "vlanId", "value": 100} in pe1["resourceCharacteristic"]


def test_drift_report_in_sync_then_finds_out_of_band_edit(lab: Lab) -> None:
    clean = lab.rom("drift", "report", "--format", "json")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert json.loads(clean.stdout)["inSync"] is True

    with netconf(lab, "pe1") as m:
        m.edit_config(target="candidate", config=OOB_EDIT)
        m.commit()

    drifted = lab.rom("drift", "report", "--format", "json")
    assert drifted.returncode == 1, drifted.stdout + drifted.stderr
    rows = [r for r in json.loads(drifted.stdout)["rows"] if r["status"] != "in-sync"]
    assert rows == [
        {
            "device": "pe1",
            "resource": "CUST-A@pe1:Ethernet1.100",
            "resourceId": rows[0]["resourceId"],
            "status": "changed",
            "path": "/network-instances/network-instance[name=CUST-A]/config/route-distinguisher",
            "intended": "65000:100",
            "actual": "65000:999",
        }
    ]
    table = lab.rom("drift", "report", "--device", "pe1")
    assert table.returncode == 1 and "changed" in table.stdout
    assert "/network-instance[name=CUST-A]/config/route-distinguisher" in table.stdout


def test_failure_on_one_device_rolls_back_the_other(lab: Lab) -> None:
    before = etree.tostring(running(lab, "pe1"))
    with netconf(lab, "pe2") as holder:
        holder.lock(target="candidate")
        created = lab.api.post(ORDERS, json=order_body("CUST-B", 200))
        assert created.status_code == 201
        final = wait_order(lab.api, created.json()["id"])
    assert final["state"] == "failed"
    reasons = " ".join(n["text"] for n in final["note"] if n.get("author") == "ROM")
    assert "pe2" in reasons and "lock-denied" in reasons
    assert etree.tostring(running(lab, "pe1")) == before
    names = [r["name"] for r in lab.api.get(RESOURCES).json()]
    assert not any("CUST-B" in n for n in names)


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda b: b["orderItem"][0].update(resourceSpecification={"id": "no-such-spec"}), "no-such-spec"),
        (lambda b: b["orderItem"][0]["resource"]["resourceCharacteristic"].pop(1), "missing characteristic"),
        (
            lambda b: b["orderItem"][0]["resource"]["resourceCharacteristic"][4].update(value="100"),
            "must be an integer",
        ),
        (lambda b: b.update(orderItem=[]), "orderItem"),
        (lambda b: b.update(priority=9), "priority"),
        (lambda b: b.update(state="completed"), "state"),
    ],
    ids=["unknown-spec", "missing-characteristic", "wrong-type", "no-items", "bad-priority", "state-set"],
)
def test_bad_input_gets_a_tmf_error_and_writes_nothing(lab: Lab, mutate: Any, fragment: str) -> None:
    total_before = lab.api.get(ORDERS).headers["X-Total-Count"]
    body = copy.deepcopy(EXAMPLE)
    mutate(body)
    response = lab.api.post(ORDERS, json=body)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["code"] == "400" and error["reason"]
    assert fragment in error["message"]
    assert lab.api.get(ORDERS).headers["X-Total-Count"] == total_before


def test_malformed_json_and_unknown_order(lab: Lab) -> None:
    response = lab.api.post(ORDERS, content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["code"] == "400"
    missing = lab.api.get(f"{ORDERS}/does-not-exist")
    assert missing.status_code == 404
    assert missing.json()["reason"] == "Not found"


def test_cli_order_submit_and_inventory(lab: Lab, tmp_path: Path) -> None:
    order_file = tmp_path / "order.json"
    order_file.write_text(json.dumps(order_body("CUST-C", 300, devices=("pe1",))))
    submitted = lab.rom("order", "submit", str(order_file))
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    assert "completed" in submitted.stdout
    shown = lab.rom("inventory", "show", "--json")
    assert "CUST-C@pe1:Ethernet1.300" in {r["name"] for r in json.loads(shown.stdout)}
    bad = lab.rom("order", "submit", str(tmp_path / "missing.json"))
    assert bad.returncode == 2 and "cannot read order" in bad.stderr


def test_dry_run_shows_native_diff_and_changes_nothing(lab: Lab, tmp_path: Path) -> None:
    order_file = tmp_path / "dry.json"
    order_file.write_text(json.dumps(order_body("CUST-D", 400, devices=("pe2",))))
    before = etree.tostring(running(lab, "pe2"))
    orders_before = lab.api.get(ORDERS).headers["X-Total-Count"]
    shown = lab.rom("order", "submit", "--dry-run", str(order_file))
    assert shown.returncode == 0, shown.stderr
    assert "pe2 (netconf)" in shown.stdout and "+" in shown.stdout and "CUST-D" in shown.stdout
    assert etree.tostring(running(lab, "pe2")) == before
    assert lab.api.get(ORDERS).headers["X-Total-Count"] == orders_before
