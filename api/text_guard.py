"""Intake refuses text a device cannot carry (`core.text`) and values that break their swagger
format (`core.tmf_formats`), in every request body, before any write.

An app-wide dependency: FastAPI has already read and, for a JSON body, parsed it (the request
caches both), so this walks the parsed value (parsing only a body FastAPI left as bytes); a body
that is not JSON is left to the route's own validation. The 400 names the field, and nothing is stored.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from core.errors import InvalidRequest
from core.text import uncarryable
from core.tmf_formats import misformatted

WRITES = frozenset({"POST", "PUT", "PATCH"})
MAX_DEPTH = 32  # no TMF body needs more; deeper ones would exhaust the serialiser's recursion


def too_deep(value: Any, limit: int) -> str | None:
    """The path of the first object or array nested more than `limit` levels deep, if any (an
    explicit stack: the check itself must not recurse; the path is spelled only when found)."""
    stack: list[tuple[Any, int, Trail]] = [(value, 0, None)]
    while stack:
        item, depth, trail = stack.pop()
        if not isinstance(item, dict | list):
            continue
        if depth >= limit:
            return spelled(trail)
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        stack.extend((child, depth + 1, (trail, key)) for key, child in pairs)
    return None


Trail = tuple["Trail", str | int] | None  # (the parent's trail, the key in it); None: the body


def spelled(trail: Trail) -> str:
    """`a.b[0].c`, as the 400 names a field (the body itself: `body`)."""
    keys: list[str | int] = []
    while trail is not None:
        trail, key = trail
        keys.append(key)
    path = "body"
    for key in reversed(keys):
        path += f"[{key}]" if isinstance(key, int) else f".{key}"
    return path.removeprefix("body.")


async def refuse_uncarryable_text(request: Request) -> None:
    """Path and query parameters too, on every method: they reach the database as query values
    (PostgreSQL refuses NUL), so they are refused here rather than fail there."""
    for where, params in (("path", request.path_params), ("query", request.query_params)):
        for name, text in params.items():
            if (problem := uncarryable(str(text))) is not None:
                raise InvalidRequest(f"{where} parameter {name}: contains {problem[1]}")
    if request.method not in WRITES:
        return
    if not await request.body():
        return
    try:
        value = await request.json()  # FastAPI's parse, cached on the request
    except ValueError:
        return
    if (deep := too_deep(value, MAX_DEPTH)) is not None:
        raise InvalidRequest(f"{deep}: nested deeper than {MAX_DEPTH} levels")
    problem = uncarryable(value)
    if problem is not None:
        where, why = problem
        raise InvalidRequest(f"{where}: contains {why}")
    problem = misformatted(value)
    if problem is not None:
        where, why = problem
        raise InvalidRequest(f"{where}: {why}")
