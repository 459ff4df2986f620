"""Request body size limit (ASGI middleware), enforced before anything parses the body.

A declared Content-Length over the limit is refused at once, unread; a body without one (chunked)
is counted as it streams in and refused as soon as it passes the limit. Both are 413 with a TMF
error body.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import tmf_error


class BodyTooLarge(HTTPException):
    """Raised from `receive`: an HTTPException, so FastAPI's body reading passes it on as it is."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Request body too large (the limit is {limit} bytes)")


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and not declared.strip().isdigit():
            await tmf_error(400, "Invalid request", "Content-Length is not a number")(scope, receive, send)
            return
        if declared is not None and int(declared) > self.max_bytes:
            exc = BodyTooLarge(self.max_bytes)
            await tmf_error(413, "Payload too large", exc.detail)(scope, receive, send)
            return
        if declared is not None and b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # the server reads no more than declared: no count
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge as exc:
            if started:
                raise
            await tmf_error(413, "Payload too large", exc.detail)(scope, receive, send)
