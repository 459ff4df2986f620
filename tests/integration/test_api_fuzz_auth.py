"""schemathesis with access control on: `rom serve` with API keys of each scope and JWTs (a
local JWKS file). Each generated request goes with one of the credentials in turn; whatever its
body, the answer is never a 5xx, a request without valid credentials is always 401 and one
without the scope always 403 (credentials are checked before the body: api/auth_first.py)."""

from __future__ import annotations

import itertools
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest
import schemathesis
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, settings

from api.app import create_app
from api.auth import READ_METHODS, key_digest
from core.settings import Settings
from inventory.context import Context
from inventory.records import Device, upsert_device
from lab.support import serving
from tests.integration.fuzz_target import INVENTORY, ORDERING, seed

pytestmark = pytest.mark.integration
ISSUER, AUDIENCE = "https://idp.example.test/realms/telco", "rom-api"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ALL = ["orders:read", "orders:write", "inventory:read", "inventory:write", "admin"]
KEYS = {  # name -> scopes
    "admin": ALL,
    "reader": ["orders:read", "inventory:read"],
    "orders": ["orders:read", "orders:write"],
    "inventory": ["inventory:read", "inventory:write"],
}
AREAS = ((ORDERING, "orders"), (INVENTORY, "inventory"), ("/admin", "admin"))


def token(scopes: list[str], expires_in: float = 3600) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "fuzz", "iat": now, "exp": now + expires_in}
    return jwt.encode({**claims, "scope": " ".join(scopes)}, KEY, algorithm="RS256", headers={"kid": "k1"})


@dataclass(frozen=True)
class Credential:
    name: str
    headers: dict[str, str]
    scopes: frozenset[str] | None  # None: not valid credentials at all


CREDENTIALS = [
    Credential("none", {}, None),
    Credential("unknown key", {"X-API-Key": "not-a-key"}, None),
    Credential("expired JWT", {"Authorization": f"Bearer {token(ALL, expires_in=-600)}"}, None),
    *(Credential(f"{n} key", {"X-API-Key": f"{n}-key"}, frozenset(s)) for n, s in KEYS.items()),
    Credential("reader JWT", {"Authorization": f"Bearer {token(KEYS['reader'])}"}, frozenset(KEYS["reader"])),
    Credential("full JWT", {"Authorization": f"Bearer {token(ALL)}"}, frozenset(ALL)),
]


def needed_scope(method: str, path: str) -> str | None:
    area = next((a for prefix, a in AREAS if path.startswith(prefix)), None)
    if area is None or area == "admin":
        return area
    return f"{area}:{'read' if method.upper() in READ_METHODS else 'write'}"


@dataclass
class Served:
    base_url: str
    log: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    var_dir = tmp_path_factory.mktemp("rom-fuzz-auth")
    jwk = {**jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key(), as_dict=True), "kid": "k1", "use": "sig"}
    (var_dir / "jwks.json").write_text(json.dumps({"keys": [jwk]}))
    keys = [{"name": n, "sha256": key_digest(f"{n}-key"), "scopes": s} for n, s in KEYS.items()]
    ctx = Context.create(Settings(var_dir=var_dir))
    with ctx.transaction() as session:
        upsert_device(session, Device(name="pe1", host="127.0.0.1", port=1, platform="rom-router"))
    ctx.engine.dispose()
    env = {
        **os.environ,
        "ROM_VAR_DIR": str(var_dir),
        "ROM_MAX_BODY_BYTES": str(64 * 1024),
        "ROM_API_KEYS": json.dumps(keys),
        "ROM_JWT_ISSUER": ISSUER,
        "ROM_JWT_AUDIENCE": AUDIENCE,
        "ROM_JWT_JWKS_FILE": str(var_dir / "jwks.json"),
    }
    with serving(env, var_dir / "serve.log") as client:
        client.headers["X-API-Key"] = "admin-key"
        seed(client)
        yield Served(str(client.base_url), var_dir / "serve.log")


schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi())
CALLS = itertools.count()
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))  # per operation; CI runs the same ones each time
SEEN: dict[str, int] = {}


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize="FUZZ_EXAMPLES" not in os.environ,
)
def test_no_5xx_and_every_refusal_before_the_body(case: schemathesis.Case, served: Served) -> None:
    credential = CREDENTIALS[next(CALLS) % len(CREDENTIALS)]
    headers = {
        k: v for k, v in (case.headers or {}).items() if k.lower() not in ("authorization", "x-api-key")
    }
    case.headers = {**headers, **credential.headers}
    response = case.call(base_url=served.base_url, timeout=30)
    answer = f"{response.status_code} {response.text[:300]}"
    where = f"{case.method} {case.formatted_path} with {credential.name}: {answer}"
    assert response.status_code < 500, where
    needed = needed_scope(case.method, case.operation.path)
    if needed is None:
        return
    if credential.scopes is None:
        assert response.status_code == 401, where
    elif needed not in credential.scopes:
        assert response.status_code == 403, where
    else:
        assert response.status_code not in (401, 403), where
    SEEN[credential.name] = SEEN.get(credential.name, 0) + 1


def test_every_credential_was_tried_and_nothing_broke_behind_the_api(served: Served) -> None:
    """Runs after the fuzzing (file order)."""
    assert set(SEEN) == {c.name for c in CREDENTIALS}, SEEN
    log = served.log.read_text()
    assert "order worker: unexpected error" not in log
    assert "outbox relay pass failed" not in log
