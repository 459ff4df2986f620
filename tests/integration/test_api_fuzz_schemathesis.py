"""schemathesis over the OpenAPI document a real `rom serve` publishes: every operation of TMF652
(resourceOrder, cancelResourceOrder, hub), TMF639 (resource, hub) and admin, with valid and invalid
input. However wrong the request, the answer is never a 5xx."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from api.app import create_app
from core.settings import Settings
from inventory.context import Context
from inventory.records import Device, upsert_device
from lab.support import serving
from tests.integration.conftest import ORDERS, l3vpn_item, order

pytestmark = pytest.mark.integration

ORDERING, INVENTORY = "/tmf-api/resourceOrderingManagement/v4", "/tmf-api/resourceInventoryManagement/v4"
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


@dataclass
class Served:
    base_url: str
    ids: dict[str, list[str]]  # path parameter name -> ids that exist
    log: Path


def seed(client: httpx.Client) -> dict[str, list[str]]:
    """Waiting orders, a cancellation, hubs and an adopted resource, so fuzzed paths can hit them."""

    def created(path: str, body: dict[str, Any]) -> str:
        response = client.post(path, json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    waiting = [
        order(l3vpn_item("1", "pe1", f"F{vlan}", vlan), requestedStartDate="2099-01-01T00:00:00Z")
        for vlan in range(301, 309)
    ]
    orders = [created(ORDERS, body) for body in waiting]
    task = created(f"{ORDERING}/cancelResourceOrder", {"resourceOrder": {"id": orders[-1]}})
    hubs = [
        created(f"{api}/hub", {"callback": "http://127.0.0.1:9/listener"}) for api in (ORDERING, INVENTORY)
    ]
    adopted = l3vpn_item("1", "pe1", "FA", 399)
    resource = created(
        f"{INVENTORY}/resource",
        {"name": "adopted", "resourceSpecification": {"id": "l3vpn-endpoint"}, **adopted["resource"]},
    )
    return {"order_id": orders, "task_id": [task], "hub_id": hubs, "resource_id": [resource]}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`rom serve` on an inventory with one device and some records to find."""
    var_dir = tmp_path_factory.mktemp("rom-fuzz")
    ctx = Context.create(Settings(var_dir=var_dir))
    with ctx.transaction() as session:
        upsert_device(session, Device(name="pe1", host="127.0.0.1", port=1, platform="rom-router"))
    ctx.engine.dispose()
    env = {**os.environ, "ROM_VAR_DIR": str(var_dir), "ROM_MAX_BODY_BYTES": str(64 * 1024)}
    with serving(env, var_dir / "serve.log") as client:
        yield Served(str(client.base_url), seed(client), var_dir / "serve.log")


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
# Per operation. CI runs the same 50 each time; FUZZ_EXAMPLES=600 digs deeper, with fresh random cases.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "50"))


def aim(case: schemathesis.Case, served: Served) -> None:
    """Point a generated case at records that exist, keeping the rest of it as generated, so the
    fuzzed fields reach the code behind the lookups: path ids, the order a cancellation names, a
    known specification and device for new orders and resources."""
    pick = len(repr(case.body)) + len(repr(case.path_parameters))
    for name, value in (case.path_parameters or {}).items():
        known = served.ids.get(name)
        case.path_parameters[name] = known[pick % len(known)] if known else value
    if not isinstance(case.body, dict):
        return
    path, body = case.operation.path, case.body
    if path.endswith("/cancelResourceOrder") and isinstance(body.get("resourceOrder"), dict):
        body["resourceOrder"]["id"] = served.ids["order_id"][pick % len(served.ids["order_id"])]
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
