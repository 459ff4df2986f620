"""schemathesis from the official TMF652, TMF639 and TMF634 v4 swagger files (not the app's own OpenAPI)
against a real `rom serve`: every operation the swaggers define for ROM's side (the `/listener`
operations are the client's), valid and invalid input. The answer is never a 5xx, every body
conforms to the swagger's response schema, and every answer has the declared content type.

Refusals of schema-valid requests are not checked here (ROM refuses some on purpose: unknown
specifications, devices and the like); docs/tmf-conformance.md lists them with their reasons.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from tests.integration.conftest import l3vpn_item
from tests.integration.fuzz_target import CATALOG, INVENTORY, ORDERING, Served, served_rom
from tests.tmf_schema import have_swagger, swagger_path

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not have_swagger(), reason="the official TMF swagger files are not at hand"),
]

# Per operation; FUZZ_EXAMPLES=300 digs deeper, with fresh random cases.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
CALLS = itertools.count()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with served_rom(tmp_path_factory.mktemp("rom-tmf-fuzz")) as running:
        yield running


def aim(case: schemathesis.Case, served: Served) -> None:
    """Point a generated case at records that exist, keeping the rest as generated: path ids, the
    order a cancellation names, a known specification and device for new orders and resources."""
    pick = len(repr(case.body)) + len(repr(case.path_parameters))
    path = case.operation.path
    if case.path_parameters and "id" in case.path_parameters:
        known = served.ids["/" + path.strip("/").split("/")[0]]
        case.path_parameters["id"] = known[pick % len(known)]
    if not isinstance(case.body, dict):
        return
    body = case.body
    if path == "/cancelResourceOrder" and isinstance(body.get("resourceOrder"), dict):
        orders = served.ids["/resourceOrder"]
        body["resourceOrder"]["id"] = orders[pick % len(orders)]
    elif path == "/resourceOrder" and body.get("orderItem"):
        body["orderItem"] = [
            l3vpn_item(str(n), "pe1", f"Z{n}", 2 + pick % 4000) for n in range(len(body["orderItem"]))
        ]
    elif path == "/resource" and case.method.upper() == "POST":
        body["resourceSpecification"] = {"id": "l3vpn-endpoint"}
        body["resourceCharacteristic"] = l3vpn_item("1", "pe1", "ZR", 2 + pick % 4000)["resource"][
            "resourceCharacteristic"
        ]


def load(api: str) -> Any:
    # the /listener operations are the notification receiver a client runs, not ROM
    return schemathesis.openapi.from_path(swagger_path(api)).exclude(path_regex="^/listener/")


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize="FUZZ_EXAMPLES" not in os.environ,
)
ORDERING_SCHEMA, INVENTORY_SCHEMA = (load(api) if have_swagger() else None for api in ("652", "639"))
# TMF634: ROM implements the read side of the catalog (its specifications come from templates/)
CATALOG_SCHEMA = (
    load("634").include(method="GET", path_regex="^/resource(Specification|Catalog|Category)")
    if have_swagger()
    else None
)


def run(case: schemathesis.Case, served: Served, base: str) -> None:
    if next(CALLS) % 2:  # every other case is aimed at existing records, the others stay as generated
        aim(case, served)
    case.call_and_validate(base_url=f"{served.base_url}{base}", checks=CHECKS, timeout=30)


if ORDERING_SCHEMA is not None and INVENTORY_SCHEMA is not None and CATALOG_SCHEMA is not None:

    @ORDERING_SCHEMA.parametrize()
    @FUZZ
    def test_tmf652_from_the_official_swagger(case: schemathesis.Case, served: Served) -> None:
        run(case, served, ORDERING)

    @INVENTORY_SCHEMA.parametrize()
    @FUZZ
    def test_tmf639_from_the_official_swagger(case: schemathesis.Case, served: Served) -> None:
        run(case, served, INVENTORY)

    @CATALOG_SCHEMA.parametrize()
    @FUZZ
    def test_tmf634_from_the_official_swagger(case: schemathesis.Case, served: Served) -> None:
        run(case, served, CATALOG)


def test_the_fuzzing_broke_nothing_behind_the_api(served: Served) -> None:
    """Runs after the fuzzing (file order): the worker and the relay saw no unexpected error."""
    log = served.log.read_text()
    assert "order worker: unexpected error" not in log
    assert "outbox relay pass failed" not in log
    assert "unhandled error" not in log
