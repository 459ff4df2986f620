"""TMF error bodies (`code`, `reason`, `message`, `status`) for every error the API returns."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.auth import Forbidden, Unauthenticated
from core.errors import Conflict, InvalidRequest, NotFound, Unprocessable

log = logging.getLogger(__name__)


def tmf_error(status: int, reason: str, message: str) -> JSONResponse:
    body = {
        "code": str(status),
        "reason": reason,
        "message": message,
        "status": str(status),
        "@type": "Error",
    }
    return JSONResponse(body, status_code=status)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where or 'body'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid_body(_: Request, exc: RequestValidationError) -> JSONResponse:
        return tmf_error(400, "Invalid request", _validation_message(exc))

    @app.exception_handler(InvalidRequest)
    async def _invalid(_: Request, exc: InvalidRequest) -> JSONResponse:
        return tmf_error(400, "Invalid request", str(exc))

    @app.exception_handler(Unprocessable)
    async def _unprocessable(_: Request, exc: Unprocessable) -> JSONResponse:
        return tmf_error(422, "Unprocessable entity", str(exc))

    @app.exception_handler(Unauthenticated)
    async def _unauthenticated(_: Request, exc: Unauthenticated) -> JSONResponse:
        response = tmf_error(401, "Unauthorized", str(exc))
        response.headers["WWW-Authenticate"] = exc.challenge
        return response

    @app.exception_handler(Forbidden)
    async def _forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return tmf_error(403, "Forbidden", str(exc))

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, exc: Conflict) -> JSONResponse:
        return tmf_error(409, "Conflict", str(exc))

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return tmf_error(404, "Not found", str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return tmf_error(exc.status_code, str(exc.detail), str(exc.detail))

    @app.exception_handler(DBAPIError)
    async def _database(_: Request, exc: DBAPIError) -> JSONResponse:
        if not (exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)):
            log.exception("database error")
            return tmf_error(500, "Internal error", type(exc).__name__)
        log.warning("database unavailable: %s", type(exc.orig).__name__)
        response = tmf_error(503, "Service unavailable", "the database is unavailable; retry later")
        response.headers["Retry-After"] = "1"
        return response

    @app.exception_handler(Exception)
    async def _internal(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return tmf_error(500, "Internal error", type(exc).__name__)
