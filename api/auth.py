"""Who may call the API: bearer JWTs from a configured issuer and/or static API keys, with scopes.

`Authorization: Bearer <jwt|key>` or `X-API-Key: <key>`. Keys are configured hashed
(`ROM_API_KEYS`, SHA-256 hex); JWTs are checked by api.jwt_auth (`ROM_JWT_*`). With neither
configured the API is open, as in the lab and the demo. Scopes are `<area>:read` / `<area>:write`
for `orders` and `inventory`, and `admin`. Missing or bad credentials are 401 (with a
WWW-Authenticate challenge), a principal without the scope 403 (TMF error bodies).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from api.jwt_auth import JwtVerifier, TokenRejected
from core.errors import RomError
from core.settings import ApiKey

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Unauthenticated(RomError):
    """No usable credentials (401); `challenge` goes in WWW-Authenticate (RFC 6750)."""

    def __init__(self, message: str, challenge: str = "Bearer") -> None:
        super().__init__(message)
        self.challenge = challenge


class Forbidden(RomError):
    """Authenticated, but without the scope this needs (403)."""


@dataclass(frozen=True)
class Principal:
    name: str
    scopes: frozenset[str]


ANONYMOUS = Principal("anonymous", frozenset())


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def presented_key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    return request.headers.get("x-api-key") or None


def _key_principal(keys: list[ApiKey], key: str) -> Principal:
    digest = key_digest(key)
    match = next((k for k in keys if hmac.compare_digest(k.sha256, digest)), None)
    if match is None:
        raise Unauthenticated("unknown API key", 'Bearer error="invalid_token"')
    return Principal(match.name, frozenset(match.scopes))


def _jwt_principal(verifier: JwtVerifier, token: str) -> Principal:
    try:
        subject, scopes = verifier.verify(token)
    except TokenRejected as exc:
        raise Unauthenticated(str(exc), 'Bearer error="invalid_token"') from None
    return Principal(subject, scopes)


def identify(keys: list[ApiKey], verifier: JwtVerifier | None, token: str) -> Principal:
    """Who presents `token`: a JWT when a verifier is configured and it looks like one, else a key."""
    if verifier is not None and token.count(".") == 2:
        return _jwt_principal(verifier, token)
    return _key_principal(keys, token)


def principal_of(request: Request, area: str, keys: list[ApiKey], verifier: JwtVerifier | None) -> Principal:
    """The caller, if it may read (GET) or write (others) `area`; raises Unauthenticated or
    Forbidden. Reads only headers: it runs before anything reads the body (api.auth_first)."""
    if not keys and verifier is None:
        return ANONYMOUS
    token = presented_key(request)
    if token is None:
        raise Unauthenticated("credentials are required (Authorization: Bearer <token or API key>)")
    principal = identify(keys, verifier, token)
    needed = area if area == "admin" else f"{area}:{'read' if request.method in READ_METHODS else 'write'}"
    if needed not in principal.scopes:
        raise Forbidden(f"{principal.name!r} lacks the scope {needed!r}")
    return principal


def authorize(area: str) -> Callable[[Request], Coroutine[Any, Any, Principal]]:
    """A dependency: the caller's principal, if it may read (GET) or write (others) `area`
    (already checked by api.auth_first when the path is one of its areas). `async def`: it reads
    headers only, as api.auth_first does on the event loop, so no thread-pool hand-off. No
    sub-dependency: FastAPI's solving of each costs more than the check (the context is read here)."""

    async def check(request: Request) -> Principal:
        checked: Principal | None = getattr(request.state, "principal", None)
        if checked is None:
            state = request.app.state
            checked = principal_of(request, area, state.ctx.settings.api_keys, state.jwt)
            request.state.principal = checked
        return checked

    return check
