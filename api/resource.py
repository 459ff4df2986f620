"""TMF639 resource endpoints."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response

from api.deps import ContextDep, CorrelationDep, Page, absolute_hrefs, json_page, no_content, own_path
from core.errors import InvalidRequest
from inventory import resources

router = APIRouter(prefix="/tmf-api/resourceInventoryManagement/v4", tags=["resource"])
FieldsQuery = Annotated[
    str | None, Query(description="Comma-separated attributes to return (plus id, href).")
]
JSON_PATCH = "application/json-patch+json"


@router.post("/resource", status_code=201)
def create_resource(
    body: Annotated[dict[str, Any], Body()],
    ctx: ContextDep,
    correlation: CorrelationDep,
    request: Request,
    response: Response,
) -> dict[str, Any]:
    """Record a resource. With a `resourceSpecification` of ROM's catalog: an existing service
    resource (brownfield adoption, nothing is pushed to the device); without one: a plain resource,
    kept as given. Devices are resources too (`device-<name>`), written by `rom inventory import`."""
    doc: dict[str, Any] = absolute_hrefs(request, resources.create_resource(ctx, body, correlation))
    response.headers["Location"] = doc["href"]
    return doc


@router.get("/resource", response_model=list[dict[str, Any]])
def list_resource(ctx: ContextDep, page: Page, request: Request) -> Response:
    docs, total = resources.list_resources_page(ctx, page)
    return json_page(absolute_hrefs(request, docs), total)


@router.get("/resource/{resource_id}")
def retrieve_resource(
    resource_id: str, ctx: ContextDep, request: Request, fields: FieldsQuery = None
) -> dict[str, Any]:
    doc: dict[str, Any] = absolute_hrefs(request, resources.get_resource(ctx, resource_id, fields))
    return doc


@router.patch("/resource/{resource_id}")
def patch_resource(
    resource_id: str,
    body: Annotated[Any, Body()],
    ctx: ContextDep,
    correlation: CorrelationDep,
    request: Request,
) -> dict[str, Any]:
    """`application/merge-patch+json` (default) or `application/json-patch+json`."""
    json_patch = request.headers.get("content-type", "").split(";")[0].strip() == JSON_PATCH
    if json_patch and not isinstance(body, list):
        raise InvalidRequest("a JSON patch is a list of operations")
    if not json_patch and not isinstance(body, dict):
        raise InvalidRequest("a merge patch is a JSON object")
    doc: dict[str, Any] = absolute_hrefs(
        request, resources.patch_resource(ctx, resource_id, own_path(request, body), json_patch, correlation)
    )
    return doc


@router.delete("/resource/{resource_id}", status_code=204)
def delete_resource(resource_id: str, ctx: ContextDep, correlation: CorrelationDep) -> Response:
    """Remove the inventory record only; configuration on the device is left alone."""
    resources.delete_resource(ctx, resource_id, correlation)
    return no_content()
