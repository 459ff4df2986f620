"""A SOM that knows nothing of ROM but its TMF APIs: it discovers the catalog (TMF634) and the
devices (TMF639) of a real `rom serve`, builds an order from those answers alone (TMF652), and the
service lands on a simulated router of the lab, read back with an independent NETCONF client.

Every catalog body is checked against the official TMF634 swagger.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from lxml import etree

from lab.support import netconf_connect, wait_order
from tests.e2e.conftest import Lab
from tests.tmf_schema import have_swagger, violations

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not have_swagger(), reason="official TMF swagger files not found"),
]
CATALOG = "/tmf-api/resourceCatalog/v4"
RESOURCES = "/tmf-api/resourceInventoryManagement/v4/resource"
ORDERS = "/tmf-api/resourceOrderingManagement/v4/resourceOrder"
NI = {"ni": "http://openconfig.net/yang/network-instance"}
# What the SOM knows of its customer's service, by the names the catalog gives
SERVICE = {"vrfName": "SOM1", "routeDistinguisher": "65000:42", "interface": "Ethernet2",
           "ipv4Address": "10.42.0.1", "prefixLength": 31}  # fmt: skip


def valid(definition: str, body: Any, many: bool = False) -> Any:
    assert violations("634", definition, body, many) == []
    return body


def conforms(value: Any, char: dict[str, Any]) -> bool:
    """A value the catalog allows: its type, regex and range."""
    kinds = {"string": str, "integer": int, "boolean": bool}
    if not isinstance(value, kinds[char["valueType"]]):
        return False
    if "regex" in char and not re.fullmatch(char["regex"], str(value)):
        return False
    ranges = [v for v in char["resourceSpecCharacteristicValue"] if "valueFrom" in v or "valueTo" in v]
    return all(r.get("valueFrom", value) <= value <= r.get("valueTo", value) for r in ranges)


def characteristic(resource: dict[str, Any], name: str) -> Any:
    return next((c["value"] for c in resource["resourceCharacteristic"] if c["name"] == name), None)


def test_a_som_orders_from_the_catalog_alone(lab: Lab) -> None:
    api = lab.api
    specs = valid("ResourceSpecification", api.get(f"{CATALOG}/resourceSpecification").json(), True)
    assert {s["id"] for s in specs} >= {"l3vpn-endpoint", "slice-core", "transport-qos"}
    href = next(s["href"] for s in specs if s["category"] == "transport" and s["name"] == "L3VPN endpoint")
    assert href.startswith(str(api.base_url))  # absolute: the SOM follows it as given
    spec = valid("ResourceSpecification", api.get(href).json())
    chars = {c["name"]: c for c in spec["resourceSpecCharacteristic"]}
    vlan = chars["vlanId"]
    assert vlan["valueType"] == "integer" and vlan["minCardinality"] == 0
    assert {k: vlan["resourceSpecCharacteristicValue"][0][k] for k in ("valueFrom", "valueTo")} == {
        "valueFrom": 1,
        "valueTo": 4094,
    }
    assert chars["description"]["resourceSpecCharacteristicValue"][0] == {
        "value": "", "valueType": "string", "isDefault": True, "@type": "CharacteristicValueSpecification"
    }  # fmt: skip
    # The device characteristic names a TMF639 device resource; the SOM's customer is on a PE.
    assert "device-<name>" in chars["device"]["description"]
    devices = api.get(RESOURCES, params={"category": "device"}).json()
    assert {d["name"] for d in devices} == {"pe1", "p1", "pe2"}
    device = next(d for d in devices if characteristic(d, "role") == "pe")
    values = {**SERVICE, "device": device["name"]}
    required = [n for n, c in chars.items() if c["minCardinality"] == 1]
    assert set(required) <= set(values), f"the SOM lacks {set(required) - set(values)}"
    assert all(conforms(values[n], chars[n]) for n in values)
    item = {
        "id": "1",
        "action": "add",
        "resourceSpecification": {"id": spec["id"], "href": spec["href"], "version": spec["version"]},
        "resource": {
            "resourceCharacteristic": [{"name": n, "value": values[n]} for n in chars if n in values]
        },
    }
    created = api.post(ORDERS, json={"orderItem": [item]})
    assert created.status_code == 201, created.text
    linked = created.json()["orderItem"][0]["resourceSpecification"]["href"]  # back to the catalog
    assert api.get(linked).json()["id"] == spec["id"]
    done = wait_order(api, created.json()["id"])
    assert done["state"] == "completed", done.get("note")

    host, port = lab.endpoint(device["name"])
    with netconf_connect(host, port) as m:
        running = etree.fromstring(m.get_config(source="running").data_xml.encode())
    rd = running.xpath(
        "ni:network-instances/ni:network-instance[ni:name='SOM1']/ni:config/ni:route-distinguisher/text()",
        namespaces=NI,
    )
    assert rd == ["65000:42"]
    resource = api.get(done["orderItem"][0]["resource"]["href"]).json()
    assert (
        characteristic(resource, "vrfName") == "SOM1" and characteristic(resource, "device") == device["name"]
    )
