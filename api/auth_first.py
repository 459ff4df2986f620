"""Credentials before the body (ASGI middleware): on the paths of a guarded area, a request
without valid credentials gets 401, one without the scope 403, before anything reads its body,
so a malformed body never turns a refusal into a 400. The principal found is left in the
request's state for `api.auth.authorize`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import Forbidden, Unauthenticated, principal_of
from api.errors import tmf_error


class CredentialsFirst:
    def __init__(self, app: ASGIApp, areas: list[tuple[str, str]]) -> None:
        """`areas`: (path prefix, area) pairs, e.g. ("/admin", "admin")."""
        self.app, self.areas = app, areas

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        area = self._area(scope)
        if area is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        state = request.app.state
        try:
            principal = principal_of(request, area, state.ctx.settings.api_keys, state.jwt)
        except Unauthenticated as exc:
            response = tmf_error(401, "Unauthorized", str(exc))
            response.headers["WWW-Authenticate"] = exc.challenge
            await response(scope, receive, send)
            return
        except Forbidden as exc:
            await tmf_error(403, "Forbidden", str(exc))(scope, receive, send)
            return
        request.state.principal = principal
        await self.app(scope, receive, send)

    def _area(self, scope: Scope) -> str | None:
        if scope["type"] != "http":
            return None
        path: str = scope["path"]
        return next((a for p, a in self.areas if path == p or path.startswith(p + "/")), None)
