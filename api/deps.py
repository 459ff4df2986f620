"""FastAPI dependencies: the process context and the request's correlation id."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request, Response

from core.query import PageRequest
from inventory.context import Context

MAX_OFFSET = 2**63 - 1  # SQL's BIGINT: beyond it no database can page
MAX_LIMIT = 1000  # the most one page answers


def get_context(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def correlation_id(x_correlation_id: Annotated[str | None, Header(max_length=128)] = None) -> str:
    return x_correlation_id or str(uuid.uuid4())


ContextDep = Annotated[Context, Depends(get_context)]
CorrelationDep = Annotated[str, Depends(correlation_id)]


def page_request(
    request: Request,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="First result (0-based).")] = 0,
    limit: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Page size (0: counts only).")] = 100,
    fields: Annotated[str | None, Query(description="Attributes to return (plus id, href).")] = None,
    sort: Annotated[str | None, Query(description="Attributes to sort by, `-` for descending.")] = None,
) -> PageRequest:
    """TMF630 list parameters; every other query parameter is an attribute filter."""
    page_size = min(limit, MAX_LIMIT)  # TMF630: a server may answer fewer; X-Result-Count says how many
    return PageRequest(tuple(request.query_params.multi_items()), offset, page_size, fields, sort)


Page = Annotated[PageRequest, Depends(page_request)]


def paged(response: Response, docs: list[dict[str, Any]], total: int) -> list[dict[str, Any]]:
    """The page, with TMF's X-Total-Count and X-Result-Count headers."""
    response.headers["X-Total-Count"] = str(total)
    response.headers["X-Result-Count"] = str(len(docs))
    return docs


def no_content() -> Response:
    """A 204 with the content type the TMF swaggers declare for every answer (`produces`)."""
    return Response(status_code=204, media_type="application/json;charset=utf-8")
