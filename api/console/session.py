"""Who looks at the console: the API's own credentials (API keys, JWTs, scopes), carried by a
browser session cookie after the login page, or presented per request as the API takes them.

A session holds the token it was opened with and checks it again on every request (an expired JWT
or a removed key ends it). Each session has a CSRF token that every POST form carries; POSTs from
another origin are refused. The login form, before any session, is a double submit: its token sits
in the form and in a short-lived cookie of its own, and the two must match. With neither keys nor
JWTs configured the console is open, as the API is, and a session (for its CSRF token) is opened on
the first visit.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import Request

from api.auth import Principal, Unauthenticated, identify, presented_key
from api.jwt_auth import JwtVerifier
from core.errors import RomError
from inventory.context import Context

COOKIE = "rom_console"
LOGIN_COOKIE = "rom_console_login"  # the login form's CSRF token (double submit), path /console/login
LOGIN_FORM_SECONDS = 3600
SESSION_SECONDS = 8 * 3600
MAX_SESSIONS = 10_000  # an open console opens one per cookie-less visitor: bounded memory
OPEN = Principal(
    "anonymous", frozenset({"orders:read", "orders:write", "inventory:read", "inventory:write", "admin"})
)


class LoginRequired(RomError):
    """No session and no credentials: a browser goes to the login page (`then`: where it was)."""

    def __init__(self, then: str) -> None:
        super().__init__("log in to use the console")
        self.then = then


class NotAllowed(RomError):
    """Authenticated, without the scope this page or action needs (403)."""


@dataclass
class Session:
    token: str  # "" in an open console
    csrf: str
    expires: float


@dataclass(frozen=True)
class Viewer:
    principal: Principal
    csrf: str
    session_id: str | None  # a new session's id, for the response's cookie

    def may(self, *scopes: str) -> bool:
        """Whether the viewer holds one of `scopes` (none named: anyone logged in may)."""
        return not scopes or any(s in self.principal.scopes for s in scopes)


class Sessions:
    """Browser sessions of this process (a restart logs everyone out)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[str, Session] = {}

    def open(self, token: str) -> tuple[str, Session]:
        sid = secrets.token_urlsafe(32)
        session = Session(token, secrets.token_urlsafe(24), time.time() + SESSION_SECONDS)
        with self._lock:
            self._by_id = {k: v for k, v in self._by_id.items() if v.expires > time.time()}
            while len(self._by_id) >= MAX_SESSIONS:  # the oldest go first (dicts keep insertion order)
                del self._by_id[next(iter(self._by_id))]
            self._by_id[sid] = session
        return sid, session

    def get(self, sid: str | None) -> Session | None:
        with self._lock:
            session = self._by_id.get(sid or "")
        return session if session is not None and session.expires > time.time() else None

    def close(self, sid: str | None) -> None:
        with self._lock:
            self._by_id.pop(sid or "", None)


def is_open(ctx: Context, verifier: JwtVerifier | None) -> bool:
    return not ctx.settings.api_keys and verifier is None


def check_token(request: Request, token: str) -> Principal:
    """The principal of `token`, as the API would see it (Unauthenticated when unknown)."""
    ctx: Context = request.app.state.ctx
    verifier: JwtVerifier | None = request.app.state.jwt
    if is_open(ctx, verifier):
        return OPEN
    return identify(ctx.settings.api_keys, verifier, token)


def same_token(sent: str, expected: str) -> bool:
    """Constant-time, and any text a form sends (compare_digest refuses non-ASCII str)."""
    return bool(expected) and secrets.compare_digest(sent.encode(), expected.encode())


def login_form_checked(request: Request, form: dict[str, str]) -> str | None:
    """Why a POSTed login form is refused (None: its CSRF token matches its cookie, same origin)."""
    if not same_token(form.get("csrf", ""), request.cookies.get(LOGIN_COOKIE, "")):
        return "the login form's CSRF token is missing or stale: reload the page"
    if not _same_origin(request):
        return "a login form from another origin"
    return None


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


def _current(request: Request) -> Viewer:
    sessions: Sessions = request.app.state.console_sessions
    session = sessions.get(request.cookies.get(COOKIE))
    if session is not None:
        try:
            return Viewer(check_token(request, session.token), session.csrf, None)
        except Unauthenticated:
            sessions.close(request.cookies.get(COOKIE))
    token = presented_key(request)
    if token is not None:  # a script or test with the API's headers: no session, no forms
        return Viewer(check_token(request, token), "", None)
    ctx: Context = request.app.state.ctx
    if is_open(ctx, request.app.state.jwt):
        sid, opened = sessions.open("")
        return Viewer(OPEN, opened.csrf, sid)
    if request.method != "GET":
        raise Unauthenticated("credentials are required: log in at /console/login")
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise LoginRequired(here)


def viewer(*scopes: str) -> Callable[[Request], Awaitable[Viewer]]:
    """A dependency: the viewer, if they hold one of `scopes`; POSTs also need the session's CSRF
    token (form field `csrf`) and, when the browser names one, this origin."""

    async def check(request: Request) -> Viewer:
        who = _current(request)
        if not who.may(*scopes):
            raise NotAllowed(f"{who.principal.name!r} lacks the scope {' or '.join(map(repr, scopes))}")
        if request.method == "POST":
            form = await form_fields(request)
            if not same_token(form.get("csrf", ""), who.csrf):
                raise NotAllowed("the form's CSRF token is missing or stale: reload the page")
            if not _same_origin(request):
                raise NotAllowed("a form from another origin")
        request.state.principal = who.principal
        return who

    return check


async def form_fields(request: Request) -> dict[str, str]:
    """An HTML form's fields (application/x-www-form-urlencoded; anything else reads as empty)."""
    cached: dict[str, str] | None = getattr(request.state, "console_form", None)
    if cached is not None:
        return cached
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body() if kind == "application/x-www-form-urlencoded" else b""
    pairs = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    request.state.console_form = fields = {k: v[-1] for k, v in pairs.items()}
    return fields


def login_url(then: str) -> str:
    return f"/console/login?next={quote(then, safe='')}"


def safe_next(then: str | None) -> str:
    """Only a path of the console after login (never another site)."""
    if then and then.startswith("/console/") and not then.startswith("//"):
        return then
    return "/console/orders"
