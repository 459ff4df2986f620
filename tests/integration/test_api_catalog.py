"""TMF634 Resource Catalog: a SOM discovers what ROM offers and orders it from those answers only.

Every body is checked against the official TMF634 swagger; the order runs on simulated routers.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from lab.support import wait_order
from tests.integration.conftest import ORDERS, RomUnderTest
from tests.tmf_schema import have_swagger, violations

pytestmark = pytest.mark.skipif(not have_swagger(), reason="official TMF swagger files not found")
CATALOG = "/tmf-api/resourceCatalog/v4"
DEVICES = "/tmf-api/resourceInventoryManagement/v4/resource"
# What the SOM knows of its customer's service, by the names the catalog gives
SERVICE = {"vrfName": "CUST1", "routeDistinguisher": "65000:42", "interface": "Ethernet2",
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


def test_a_som_orders_from_the_catalog_alone(rom: RomUnderTest) -> None:
    specs = valid("ResourceSpecification", rom.client.get(f"{CATALOG}/resourceSpecification").json(), True)
    assert {s["id"] for s in specs} >= {"l3vpn-endpoint", "slice-core", "transport-qos"}
    href = next(s["href"] for s in specs if s["category"] == "transport" and s["name"] == "L3VPN endpoint")
    spec = valid("ResourceSpecification", rom.client.get(href).json())
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
    # The device characteristic names a TMF639 device resource.
    assert "device-<name>" in chars["device"]["description"]
    devices = rom.client.get(DEVICES, params={"category": "device"}).json()
    values = {**SERVICE, "device": devices[0]["name"]}
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
    created = rom.client.post(ORDERS, json={"orderItem": [item]})
    assert created.status_code == 201, created.text
    linked = created.json()["orderItem"][0]["resourceSpecification"]["href"]  # back to the catalog
    assert rom.client.get(linked).json()["id"] == spec["id"]
    assert wait_order(rom.client, created.json()["id"])["state"] == "completed"


def test_catalog_queries(rom: RomUnderTest) -> None:
    page = rom.client.get(
        f"{CATALOG}/resourceSpecification", params={"category": "5g-core", "fields": "name"}
    )
    assert page.status_code == 200 and page.headers["X-Total-Count"] == "1"
    assert page.json() == [{"id": "slice-core", "href": page.json()[0]["href"], "name": "5G slice (core)"}]
    first = rom.client.get(
        f"{CATALOG}/resourceSpecification", params={"limit": 1, "offset": 1, "sort": "-id"}
    )
    assert len(first.json()) == 1 and int(first.headers["X-Total-Count"]) >= 4
    assert rom.client.get(f"{CATALOG}/resourceSpecification", params={"colour": "red"}).status_code == 400
    assert rom.client.get(f"{CATALOG}/resourceSpecification/nope").status_code == 404
    catalog = valid("ResourceCatalog", rom.client.get(f"{CATALOG}/resourceCatalog/rom").json())
    categories = valid("ResourceCategory", rom.client.get(f"{CATALOG}/resourceCategory").json(), True)
    assert {c["id"] for c in catalog["category"]} == {c["id"] for c in categories} >= {"transport", "5g-core"}
    assert rom.client.get(categories[0]["href"]).status_code == 200
