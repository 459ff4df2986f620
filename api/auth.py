"""API keys with scopes: `Authorization: Bearer <key>` or `X-API-Key: <key>`.

Keys are configured hashed (`ROM_API_KEYS`, SHA-256 hex); with none configured the API is open, as
in the lab and the demo. Scopes are `<area>:read` / `<area>:write` for `orders` and `inventory`,
and `admin`. A missing or unknown key is 401, a key without the scope 403 (TMF error bodies).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from api.deps import ContextDep
from rom.errors import RomError

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Unauthenticated(RomError):
    """No usable credentials (401)."""


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


def authorize(area: str) -> Callable[[Request, ContextDep], Principal]:
    """A dependency: the caller's principal, if it may read (GET) or write (others) `area`."""

    def check(request: Request, ctx: ContextDep) -> Principal:
        keys = ctx.settings.api_keys
        if not keys:
            request.state.principal = ANONYMOUS
            return ANONYMOUS
        key = presented_key(request)
        if key is None:
            raise Unauthenticated("an API key is required (Authorization: Bearer <key>)")
        digest = key_digest(key)
        match = next((k for k in keys if hmac.compare_digest(k.sha256, digest)), None)
        if match is None:
            raise Unauthenticated("unknown API key")
        needed = (
            area if area == "admin" else f"{area}:{'read' if request.method in READ_METHODS else 'write'}"
        )
        if needed not in match.scopes:
            raise Forbidden(f"API key {match.name!r} lacks the scope {needed!r}")
        principal = Principal(match.name, frozenset(match.scopes))
        request.state.principal = principal
        return principal

    return check
