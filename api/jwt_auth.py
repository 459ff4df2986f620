"""Bearer JWTs: signed by a key from the issuer's JWKS, for our audience, not expired.

The JWKS (a URL, a file, or both) is cached for `jwks_cache_seconds` and fetched again when a
token names a `kid` the cache lacks (key rotation), at most once per `jwks_refresh_cooldown`, so a
stream of made-up kids cannot turn into a stream of fetches. Scopes come from the `scope` claim
(space-separated) or `scp` (string or list); names that are ROM scopes count as they are, others
through `jwt_scope_map`. The principal is `sub`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from starlette.exceptions import HTTPException

from core.errors import RomError
from core.settings import ApiSecuritySettings

ROM_SCOPES = frozenset({"orders:read", "orders:write", "inventory:read", "inventory:write", "admin"})


class TokenRejected(RomError):
    """The token is not one we accept (401)."""


def _load_jwks(settings: ApiSecuritySettings) -> Callable[[], list[dict[str, Any]]]:
    def load() -> list[dict[str, Any]]:
        keys: list[dict[str, Any]] = []
        try:
            if settings.jwt_jwks_file is not None:
                keys += json.loads(settings.jwt_jwks_file.read_text())["keys"]
            if settings.jwt_jwks_url:
                response = httpx.get(settings.jwt_jwks_url, timeout=10)
                keys += response.raise_for_status().json()["keys"]
        except (OSError, ValueError, KeyError, TypeError, httpx.HTTPError) as exc:
            raise HTTPException(503, f"the token issuer's signing keys are unavailable: {exc}") from exc
        return keys

    return load


def _usable(jwks: list[dict[str, Any]]) -> dict[str | None, jwt.PyJWK]:
    """Signing keys by kid; keys for encryption or of unknown types are skipped."""
    keys: dict[str | None, jwt.PyJWK] = {}
    for doc in jwks:
        if not isinstance(doc, dict) or doc.get("use", "sig") != "sig":
            continue
        if not isinstance(doc.get("kid"), str | None):
            continue
        try:
            keys[doc.get("kid")] = jwt.PyJWK(doc)
        except jwt.PyJWTError:
            continue
    return keys


@dataclass
class JwksCache:
    load: Callable[[], list[dict[str, Any]]]
    ttl: float
    cooldown: float
    clock: Callable[[], float] = time.monotonic
    _keys: dict[str | None, jwt.PyJWK] = field(default_factory=dict)
    _fetched: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def key(self, kid: str | None) -> jwt.PyJWK:
        with self._lock:
            now = self.clock()
            stale = self._fetched is None or now - self._fetched >= self.ttl
            cooled = self._fetched is None or now - self._fetched >= self.cooldown
            if stale or (self._find(kid) is None and cooled):
                self._keys, self._fetched = _usable(self.load()), now
            found = self._find(kid)
        if found is None:
            raise TokenRejected(f"no signing key {kid!r} at the token issuer")
        return found

    def _find(self, kid: str | None) -> jwt.PyJWK | None:
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        return self._keys.get(kid) if kid is not None else None


def token_scopes(claims: dict[str, Any], scope_map: dict[str, list[str]]) -> frozenset[str]:
    raw = claims.get("scope", claims.get("scp", ""))
    names = raw.split() if isinstance(raw, str) else [s for s in raw if isinstance(s, str)]
    scopes: set[str] = set()
    for name in names:
        scopes.update(scope_map.get(name, [name] if name in ROM_SCOPES else []))
    return frozenset(scopes & ROM_SCOPES)


@dataclass(frozen=True)
class JwtVerifier:
    settings: ApiSecuritySettings
    keys: JwksCache

    @classmethod
    def from_settings(cls, settings: ApiSecuritySettings) -> JwtVerifier | None:
        if not settings.jwt_issuer:
            return None
        cache = JwksCache(_load_jwks(settings), settings.jwks_cache_seconds, settings.jwks_refresh_cooldown)
        return cls(settings, cache)

    def verify(self, token: str) -> tuple[str, frozenset[str]]:
        """The token's subject and ROM scopes; TokenRejected if it is not valid here."""
        s = self.settings
        try:
            header = jwt.get_unverified_header(token)
            alg, kid = header.get("alg"), header.get("kid")
            if alg not in s.jwt_algorithms:
                raise TokenRejected(f"token algorithm {alg!r} is not accepted")
            if kid is not None and not isinstance(kid, str):
                raise TokenRejected("the token's kid is not a string")
            key = self.keys.key(kid)
            claims = jwt.decode(
                token,
                key,
                algorithms=s.jwt_algorithms,
                audience=s.jwt_audience,
                issuer=s.jwt_issuer,
                leeway=s.jwt_leeway,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise TokenRejected(f"invalid bearer token: {exc}") from exc
        return claims["sub"], token_scopes(claims, s.jwt_scope_map)
