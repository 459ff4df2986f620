"""Bearer JWTs on a real `rom serve`: keys made here, their JWKS served over HTTP on loopback.

Every way a token can be wrong is a 401 with a TMF body and a Bearer challenge; a good token
without the scope is 403; API keys keep working beside JWTs; a rotated key (new kid) is fetched.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.exceptions import HTTPException

from api.auth import key_digest
from api.jwt_auth import JwksCache, JwtVerifier, TokenRejected
from core.settings import Settings
from inventory.context import Context
from inventory.records import Device, upsert_device
from lab.support import free_port, serving
from tests.integration.conftest import ORDERS, l3vpn_item, order

pytestmark = pytest.mark.integration

ISSUER, AUDIENCE = "https://idp.example.test/realms/telco", "rom-api"
RESOURCES = "/tmf-api/resourceInventoryManagement/v4/resource"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, kid: str) -> dict[str, Any]:
    if isinstance(key, rsa.RSAPrivateKey):
        doc = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    else:
        doc = {**jwt.algorithms.ECAlgorithm.to_jwk(key.public_key(), as_dict=True), "alg": "ES256"}
    return {**doc, "kid": kid, "use": "sig"}


@dataclass
class Jwks:
    """A JWKS endpoint: the key set can change while it serves; fetches are counted."""

    keys: list[dict[str, Any]]
    fetches: int = 0
    url: str = ""
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)

    def __enter__(self) -> Jwks:
        jwks = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                jwks.fetches += 1
                body = json.dumps({"keys": jwks.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/certs"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    doc = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "som-app",
        "iat": now,
        "exp": now + 300,
        "scope": "orders:read orders:write",
        **overrides,
    }
    return {k: v for k, v in doc.items() if v is not None}


def mint(key: Any = RSA_KEY, kid: str | None = "rsa-1", alg: str = "RS256", **overrides: Any) -> str:
    return jwt.encode(claims(**overrides), key, algorithm=alg, headers={"kid": kid} if kid else None)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_with_public_key() -> str:
    """The classic algorithm confusion: HMAC keyed with the RSA public key's PEM."""
    pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims()).encode())}"
    return f"{signing_input}.{b64(hmac.new(pem, signing_input.encode(), hashlib.sha256).digest())}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Served:
    client: httpx.Client
    jwks: Jwks


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    var_dir = tmp_path_factory.mktemp("rom-jwt")
    ctx = Context.create(Settings(var_dir=var_dir))
    with ctx.transaction() as session:
        upsert_device(session, Device(name="pe1", host="127.0.0.1", port=1, platform="rom-router"))
    ctx.engine.dispose()
    keys = [public_jwk(RSA_KEY, "rsa-1"), public_jwk(EC_KEY, "ec-1")]
    with Jwks(keys) as jwks:
        env = {
            **os.environ,
            "ROM_VAR_DIR": str(var_dir),
            "ROM_JWT_ISSUER": ISSUER,
            "ROM_JWT_AUDIENCE": AUDIENCE,
            "ROM_JWT_JWKS_URL": jwks.url,
            "ROM_JWKS_REFRESH_COOLDOWN": "0",
            "ROM_JWT_SCOPE_MAP": json.dumps({"rom.ops": ["admin", "inventory:read"]}),
            "ROM_API_KEYS": json.dumps(
                [{"name": "legacy", "sha256": key_digest("legacy-key"), "scopes": ["orders:read"]}]
            ),
        }
        with serving(env, var_dir / "serve.log") as client:
            yield Served(client, jwks)


def assert_401(response: httpx.Response, words: str) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["code"] == "401" and body["@type"] == "Error"
    assert words in body["message"], body["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_good_token_is_accepted_and_its_subject_submits_the_order(served: Served) -> None:
    client = served.client
    assert client.get(ORDERS, headers=bearer(mint())).status_code == 200
    waiting = order(l3vpn_item("1", "pe1", "VJ", 78), requestedStartDate="2099-01-01T00:00:00Z")
    created = client.post(ORDERS, json=waiting, headers=bearer(mint(kid="ec-1", alg="ES256", key=EC_KEY)))
    assert created.status_code == 201, created.text
    stored = client.get(f"{ORDERS}/{created.json()['id']}", headers=bearer(mint(sub="auditor")))
    for doc in (created.json(), stored.json()):
        submitters = [p["id"] for p in doc["relatedParty"] if p.get("role") == "submitter"]
        assert submitters == ["som-app"]


@pytest.mark.parametrize(
    ("token", "words"),
    [
        (lambda: mint(exp=int(time.time()) - 3600), "expired"),
        (lambda: mint(iss="https://evil.example.test"), "issuer"),
        (lambda: mint(aud="another-api"), "Audience"),
        (lambda: mint(aud=None), "aud"),
        (lambda: mint(sub=None), "sub"),
        (lambda: mint(key=OTHER_RSA), "Signature verification failed"),
        (lambda: mint(key=None, alg="none"), "'none' is not accepted"),
        (hs256_with_public_key, "'HS256' is not accepted"),
        (lambda: mint(kid="ec-1"), "does not match"),
        (lambda: mint(kid="nobody"), "no signing key 'nobody'"),
        (lambda: "a.b.c", "invalid bearer token"),
    ],
    ids=[
        "expired",
        "wrong-issuer",
        "wrong-audience",
        "no-audience",
        "no-subject",
        "bad-signature",
        "alg-none",
        "hs256-confusion",
        "key-of-another-type",
        "unknown-kid",
        "garbage",
    ],
)
def test_bad_tokens_are_401(served: Served, token: Any, words: str) -> None:
    response = served.client.get(ORDERS, headers=bearer(token()))
    assert_401(response, words)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_no_credentials_is_401_but_health_stays_open(served: Served) -> None:
    assert_401(served.client.get(ORDERS), "credentials are required")
    assert served.client.get("/health").status_code == 200


def test_scopes_come_from_scope_or_scp_and_are_enforced(served: Served) -> None:
    client = served.client
    reader = bearer(mint(scope=None, scp=["orders:read"]))
    assert client.get(ORDERS, headers=reader).status_code == 200
    refused = client.post(ORDERS, json=order(l3vpn_item("1", "pe1", "VK", 79)), headers=reader)
    assert refused.status_code == 403 and "orders:write" in refused.json()["message"]
    assert client.get(RESOURCES, headers=reader).status_code == 403
    assert client.get("/admin/deadLetters", headers=reader).status_code == 403
    mapped = bearer(mint(scope="openid rom.ops"))
    assert client.get("/admin/deadLetters", headers=mapped).status_code == 200
    assert client.get(RESOURCES, headers=mapped).status_code == 200
    assert client.get(ORDERS, headers=mapped).status_code == 403
    spoofed = bearer(mint(scope="orders:read admin:all inventory:*"))
    assert client.get(RESOURCES, headers=spoofed).status_code == 403


def test_api_keys_work_beside_jwts(served: Served) -> None:
    client = served.client
    assert client.get(ORDERS, headers={"X-API-Key": "legacy-key"}).status_code == 200
    assert client.get(ORDERS, headers=bearer("legacy-key")).status_code == 200
    assert_401(client.get(ORDERS, headers=bearer("not-a-key")), "unknown API key")


def test_a_rotated_key_is_fetched_when_its_kid_first_appears(served: Served) -> None:
    new_key = ec.generate_private_key(ec.SECP256R1())
    token = mint(key=new_key, kid="ec-2", alg="ES256")
    assert_401(served.client.get(ORDERS, headers=bearer(token)), "no signing key 'ec-2'")
    served.jwks.keys = [*served.jwks.keys, public_jwk(new_key, "ec-2")]
    before = served.jwks.fetches
    assert served.client.get(ORDERS, headers=bearer(token)).status_code == 200
    assert served.jwks.fetches == before + 1
    assert served.client.get(ORDERS, headers=bearer(token)).status_code == 200
    assert served.jwks.fetches == before + 1, "a known kid is served from the cache"


def test_unknown_kids_refetch_at_most_once_per_cooldown() -> None:
    now = [0.0]
    loads: list[float] = []

    def load() -> list[dict[str, Any]]:
        loads.append(now[0])
        return [public_jwk(RSA_KEY, "rsa-1")]

    cache = JwksCache(load, ttl=3600, cooldown=30, clock=lambda: now[0])
    assert cache.key("rsa-1").key_id == "rsa-1"
    for kid in ("x1", "x2", "x3"):
        with pytest.raises(TokenRejected):
            cache.key(kid)
    assert loads == [0.0]
    now[0] = 31.0
    with pytest.raises(TokenRejected):
        cache.key("x4")
    cache.key("rsa-1")
    now[0] = 3700.0
    cache.key("rsa-1")
    assert loads == [0.0, 31.0, 3700.0]


def test_a_jwks_file_is_enough(tmp_path: Path) -> None:
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps({"keys": [public_jwk(EC_KEY, "ec-1")]}))
    settings = Settings(jwt_issuer=ISSUER, jwt_audience=AUDIENCE, jwt_jwks_file=jwks_file)
    verifier = JwtVerifier.from_settings(settings)
    assert verifier is not None
    token = mint(key=EC_KEY, kid="ec-1", alg="ES256", scope=None, scp="inventory:read orders:read")
    assert verifier.verify(token) == ("som-app", frozenset({"inventory:read", "orders:read"}))


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"jwt_issuer": ISSUER, "jwt_jwks_url": "http://127.0.0.1:1/"}, "ROM_JWT_AUDIENCE"),
        ({"jwt_issuer": ISSUER, "jwt_audience": AUDIENCE}, "ROM_JWT_JWKS_URL"),
        (
            {"jwt_issuer": ISSUER, "jwt_audience": AUDIENCE, "jwt_jwks_url": "x", "jwt_algorithms": ["none"]},
            "public-key algorithms",
        ),
    ],
)
def test_incomplete_jwt_settings_are_refused(fields: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        Settings(**fields)


def test_unreachable_signing_keys_are_503_not_401() -> None:
    url = f"http://127.0.0.1:{free_port()}/certs"
    verifier = JwtVerifier.from_settings(Settings(jwt_issuer=ISSUER, jwt_audience=AUDIENCE, jwt_jwks_url=url))
    assert verifier is not None
    with pytest.raises(HTTPException) as raised:
        verifier.verify(mint())
    assert raised.value.status_code == 503 and "signing keys are unavailable" in raised.value.detail


def test_rom_serve_refuses_half_configured_jwt_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "ROM_VAR_DIR": str(tmp_path), "ROM_JWT_ISSUER": ISSUER, "ROM_JWT_JWKS_URL": "x"}
    run = subprocess.run(
        [sys.executable, "-m", "cli", "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "error: invalid Settings: Value error, ROM_JWT_ISSUER needs ROM_JWT_AUDIENCE"
    ]


JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=20),
    st.lists(st.text(max_size=8), max_size=3),
    st.sampled_from(["RS256", "ES256", "none", "HS256", "rsa-1", "ec-1", ISSUER, AUDIENCE]),
)
SEGMENTS = st.one_of(
    st.dictionaries(
        st.sampled_from(["alg", "kid", "typ", "crit", "jku", "b64", "iss", "aud", "sub", "exp", "scope"]),
        JSON_VALUES,
    ).map(lambda doc: b64(json.dumps(doc).encode())),
    st.binary(max_size=64).map(b64),
    st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=30),
)


@given(header=SEGMENTS, payload=SEGMENTS, signature=SEGMENTS)
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
def test_made_up_tokens_are_401_never_5xx(served: Served, header: str, payload: str, signature: str) -> None:
    response = served.client.get(ORDERS, headers=bearer(f"{header}.{payload}.{signature}"))
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "401"
