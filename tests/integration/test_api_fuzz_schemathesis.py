"""schemathesis over the OpenAPI document a real `rom serve` publishes: every operation of TMF652
(resourceOrder, cancelResourceOrder, hub), TMF639 (resource, hub) and admin, with valid and invalid
input. However wrong the request, the answer is never a 5xx."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from api.app import create_app
from core.settings import Settings
from tests.integration.conftest import l3vpn_item
from tests.integration.fuzz_target import INVENTORY, ORDERING, Served, served_rom

pytestmark = pytest.mark.integration

REQUIRED = {
    *((m, f"{ORDERING}/resourceOrder") for m in ("get", "post")),
    *((m, f"{ORDERING}/resourceOrder/{{order_id}}") for m in ("get", "patch", "delete")),
    *((m, f"{ORDERING}/cancelResourceOrder") for m in ("get", "post")),
    ("get", f"{ORDERING}/cancelResourceOrder/{{task_id}}"),
    *((m, f"{api}/hub/{{hub_id}}") for m in ("get", "delete") for api in (ORDERING, INVENTORY)),
    *(("post", f"{api}/hub") for api in (ORDERING, INVENTORY)),
    *((m, f"{INVENTORY}/resource") for m in ("get", "post")),
    *((m, f"{INVENTORY}/resource/{{resource_id}}") for m in ("get", "patch", "delete")),
    ("get", "/admin/deadLetters"),
    ("post", "/admin/deadLetters/{delivery_id}/replay"),
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`rom serve` on an inventory with one device and some records to find."""
    with served_rom(tmp_path_factory.mktemp("rom-fuzz")) as running:
        yield running


def test_the_document_covers_both_apis_and_admin(served: Served) -> None:
    doc = httpx.get(f"{served.base_url}/openapi.json").json()
    published = {(method, path) for path, item in doc["paths"].items() for method in item}
    assert published >= REQUIRED, REQUIRED - published
    assert doc == DOCUMENT


# The document `create_app` builds, which is what `rom serve` publishes (checked above). Loaded at
# import: schemathesis' lazy fixture loader does not work with this pytest.
DOCUMENT = create_app(Settings()).openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT)
CALLS = itertools.count()
PARAM_PATHS = {
    "order_id": "/resourceOrder",
    "task_id": "/cancelResourceOrder",
    "hub_id": "/hub",
    "resource_id": "/resource",
}
# Per operation. CI runs the same 50 each time; FUZZ_EXAMPLES=600 digs deeper, with fresh random cases.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "50"))


def aim(case: schemathesis.Case, served: Served) -> None:
    """Point a generated case at records that exist, keeping the rest of it as generated, so the
    fuzzed fields reach the code behind the lookups: path ids, the order a cancellation names, a
    known specification and device for new orders and resources."""
    pick = len(repr(case.body)) + len(repr(case.path_parameters))
    for name, value in (case.path_parameters or {}).items():
        known = served.ids.get(PARAM_PATHS.get(name, ""))
        case.path_parameters[name] = known[pick % len(known)] if known else value
    if not isinstance(case.body, dict):
        return
    path, body = case.operation.path, case.body
    if path.endswith("/cancelResourceOrder") and isinstance(body.get("resourceOrder"), dict):
        body["resourceOrder"]["id"] = served.ids["/resourceOrder"][pick % len(served.ids["/resourceOrder"])]
    elif path.endswith("/resourceOrder") and body.get("orderItem"):
        body["orderItem"] = [
            l3vpn_item(str(n), "pe1", f"Z{n}", 2 + pick % 4000) for n in range(len(body["orderItem"]))
        ]
    elif path.endswith("/resource"):
        body["resourceSpecification"] = {"id": "l3vpn-endpoint"}


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize="FUZZ_EXAMPLES" not in os.environ,
)
def test_no_request_gets_a_server_error(case: schemathesis.Case, served: Served) -> None:
    """Every other case is aimed at existing records (see `aim`); the others stay as generated."""
    if next(CALLS) % 2:
        aim(case, served)
    case.call_and_validate(base_url=served.base_url, checks=[not_a_server_error], timeout=30)


def test_the_fuzzing_broke_nothing_behind_the_api(served: Served) -> None:
    """Runs after the fuzzing (file order): what the requests left for the worker and the relay
    (orders to run and fail, hubs to call) went through without an unexpected error."""
    log = served.log.read_text()
    assert "order worker: unexpected error" not in log
    assert "outbox relay pass failed" not in log
    assert "recovered" not in log, "an order's worker died under it"
