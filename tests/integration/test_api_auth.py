"""API keys and scopes: 401 without or with an unknown key, 403 without the scope, the submitter recorded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import key_digest
from core.settings import ApiKey
from inventory.context import Context
from inventory.records import Device, upsert_device
from rom import order_store
from tests.integration.conftest import ORDERS, l3vpn_item, make_settings, order

KEYS = {
    "som-key": ApiKey(name="som", sha256=key_digest("som-key"), scopes=["orders:read", "orders:write"]),
    "viewer-key": ApiKey(
        name="viewer", sha256=key_digest("viewer-key"), scopes=["orders:read", "inventory:read"]
    ),
}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = make_settings(tmp_path, api_keys=list(KEYS.values()))
    ctx = Context.create(settings)
    with ctx.transaction() as session:
        upsert_device(session, Device(name="pe1", host="127.0.0.1", port=1, platform="rom-router"))
    with TestClient(create_app(settings)) as test_client:
        yield test_client
    ctx.engine.dispose()


def waiting_order() -> dict[str, object]:
    return order(l3vpn_item("1", "pe1", "VA", 77), requestedStartDate="2099-01-01T00:00:00Z")


def test_missing_and_unknown_keys_are_401(client: TestClient) -> None:
    missing = client.get(ORDERS)
    assert missing.status_code == 401 and missing.json()["code"] == "401"
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    assert client.get(ORDERS, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/health").status_code == 200


def test_scopes_are_enforced(client: TestClient) -> None:
    viewer = {"X-API-Key": "viewer-key"}
    assert client.get(ORDERS, headers=viewer).status_code == 200
    refused = client.post(ORDERS, json=waiting_order(), headers=viewer)
    assert refused.status_code == 403 and "orders:write" in refused.json()["message"]
    assert client.get("/admin/deadLetters", headers=viewer).status_code == 403
    som = {"Authorization": "Bearer som-key"}
    assert client.get("/tmf-api/resourceInventoryManagement/v4/resource", headers=som).status_code == 403
    assert client.get(ORDERS, headers=viewer).headers["X-Total-Count"] == "0"


def test_the_submitter_is_recorded(client: TestClient) -> None:
    """The submitter is the authenticated principal; a relatedParty the client sends as submitter
    is kept as given and attributes nothing."""
    spoof = {"id": "mallory", "name": "mallory", "role": "submitter", "@referredType": "APIClient"}
    body = {**waiting_order(), "relatedParty": [spoof]}
    created = client.post(ORDERS, json=body, headers={"Authorization": "Bearer som-key"})
    assert created.status_code == 201, created.text
    parties = created.json()["relatedParty"]
    assert parties == [spoof, {"id": "som", "name": "som", "role": "submitter", "@referredType": "APIClient"}]
    ctx = client.app.state.ctx  # type: ignore[attr-defined]
    with ctx.sessions() as session:
        assert order_store.get_order(session, created.json()["id"]).submitted_by == "som"


def _operations(client: TestClient) -> list[tuple[str, str]]:
    """Every operation the OpenAPI document publishes, path parameters filled with `x`."""
    doc = client.get("/openapi.json").json()
    out = []
    for path, item in doc["paths"].items():
        for method in item:
            filled = "/".join("x" if p.startswith("{") else p for p in path.split("/"))
            out.append((method.upper(), filled))
    return out


def test_every_operation_needs_a_key_and_its_scope(client: TestClient) -> None:
    """No published operation but /health answers without a key, and a read-only key writes nothing."""
    operations = [op for op in _operations(client) if op[1] not in ("/health", "/metrics", "/openapi.json")]
    assert len(operations) >= 20
    viewer = {"X-API-Key": "viewer-key"}
    for method, path in operations:
        anonymous = client.request(method, path, json={})
        assert anonymous.status_code == 401, (method, path, anonymous.status_code)
        wrong = client.request(method, path, json={}, headers={"Authorization": "Bearer wrong"})
        assert wrong.status_code == 401, (method, path, wrong.status_code)
        if method != "GET":
            refused = client.request(method, path, json={}, headers=viewer)
            assert refused.status_code == 403, (method, path, refused.status_code)
    assert client.get(ORDERS, headers=viewer).headers["X-Total-Count"] == "0"


@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe", b'{"orderItem": 1}', b"[" * 5000])
def test_credentials_are_checked_before_the_body(client: TestClient, body: bytes) -> None:
    """A malformed body never turns a 401 or 403 into a 400: the body is not read before the
    credentials (api/auth_first.py)."""
    writes = [op for op in _operations(client) if op[0] in ("POST", "PATCH", "PUT", "DELETE")]
    assert len(writes) >= 5
    json_type = {"Content-Type": "application/json"}
    for method, path in writes:
        anonymous = client.request(method, path, content=body, headers=json_type)
        assert anonymous.status_code == 401, (method, path, anonymous.text)
        assert anonymous.headers["WWW-Authenticate"] == "Bearer"
        unknown = client.request(method, path, content=body, headers={**json_type, "X-API-Key": "nope"})
        assert unknown.status_code == 401, (method, path, unknown.text)
        viewer = client.request(method, path, content=body, headers={**json_type, "X-API-Key": "viewer-key"})
        assert viewer.status_code == 403, (method, path, viewer.text)
        assert viewer.json()["@type"] == "Error"
    som = {**json_type, "Authorization": "Bearer som-key"}
    assert client.post(ORDERS, content=b"{not json", headers=som).status_code == 400  # then the body
