"""TMF634 Resource Catalog queries: filters, fields, paging, sort, catalog and categories.

Every body is checked against the official TMF634 swagger. A SOM ordering from the catalog's
answers alone, against a real `rom serve` and the lab: tests/e2e/test_catalog_order.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import RomUnderTest
from tests.tmf_schema import have_swagger, violations

pytestmark = pytest.mark.skipif(not have_swagger(), reason="official TMF swagger files not found")
CATALOG = "/tmf-api/resourceCatalog/v4"


def valid(definition: str, body: Any, many: bool = False) -> Any:
    assert violations("634", definition, body, many) == []
    return body


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
