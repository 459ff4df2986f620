"""FastAPI dependencies: the process context and the request's correlation id."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request, Response
from pydantic import TypeAdapter

from core.query import PageRequest
from inventory.context import Context

MAX_OFFSET = 2**63 - 1  # SQL's BIGINT: beyond it no database can page
MAX_LIMIT = 1000  # the most one page answers


# The dependencies that do no I/O are `async def`: FastAPI runs a plain `def` dependency in its
# thread pool, a hand-off to another thread (and back) per dependency per request.
async def get_context(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


async def correlation_id(x_correlation_id: Annotated[str | None, Header(max_length=128)] = None) -> str:
    return x_correlation_id or str(uuid.uuid4())


ContextDep = Annotated[Context, Depends(get_context)]
CorrelationDep = Annotated[str, Depends(correlation_id)]


async def page_request(
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


_DOC = TypeAdapter(dict[str, Any])
_DOCS = TypeAdapter(list[dict[str, Any]])


def json_page(docs: list[dict[str, Any]], total: int) -> Response:
    """`paged` answered as `json_doc` answers one document: declare `response_model=list[dict[str, Any]]`
    on the route. A list route is what completion pollers call (`fields`, `limit=0`): one hand-off."""
    headers = {"X-Total-Count": str(total), "X-Result-Count": str(len(docs))}
    return Response(_DOCS.dump_json(docs), 200, headers, "application/json")


def json_doc(doc: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A document answered as FastAPI would serialise a `dict[str, Any]` `response_model` (declare
    it on the route: the OpenAPI document stays the same), without FastAPI's validation of a sync
    route's return in the thread pool, a second hand-off per request."""
    return Response(_DOC.dump_json(doc), status, headers, "application/json")


def no_content() -> Response:
    """A 204 with the content type the TMF swaggers declare for every answer (`produces`)."""
    return Response(status_code=204, media_type="application/json;charset=utf-8")


# The TMF APIs ROM serves: an href on one of these paths is ROM's to make absolute; any other
# (a party's, another system's) is the client's and stays as given.
OWN_API_PATHS = tuple(
    f"/tmf-api/{api}/"
    for api in (
        "resourceOrderingManagement",
        "resourceInventoryManagement",
        "resourceCatalog",
        "alarmManagement",
    )
)


def absolute_hrefs(request: Request, doc: Any) -> Any:
    """Every `href` that is a path of ROM's TMF APIs made an absolute URL, as TMF's examples give
    them (a client may follow it as is). The stored documents keep paths: the host is the request's."""
    if isinstance(doc, list):
        return [absolute_hrefs(request, d) for d in doc]
    if not isinstance(doc, dict):
        return doc
    base = str(request.base_url).rstrip("/")
    return {
        k: f"{base}{v}"
        if k == "href" and isinstance(v, str) and v.startswith(OWN_API_PATHS)
        else absolute_hrefs(request, v)
        for k, v in doc.items()
    }


def own_path(request: Request, body: Any) -> Any:
    """A body's top-level `href` given as this server's absolute URL, back to the path ROM stores."""
    base = str(request.base_url).rstrip("/")
    href = body.get("href") if isinstance(body, dict) else None
    if isinstance(href, str) and href.startswith(f"{base}/"):
        return {**body, "href": href.removeprefix(base)}
    return body
