"""TMF634 Resource Catalog (read): the specifications ROM can activate, generated from templates/."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api.deps import ContextDep, Page, absolute_hrefs, paged
from core.errors import NotFound
from core.query import page_docs, project
from inventory.tmf634 import CATALOG_API, catalog_doc, category_docs, specification_doc

router = APIRouter(prefix=CATALOG_API, tags=["resourceCatalog"])
FieldsQuery = Annotated[
    str | None, Query(description="Comma-separated attributes to return (plus id, href).")
]
FILTERABLE = ("id", "name", "version", "category", "lifecycleStatus")


def _one(request: Request, docs: list[dict[str, Any]], kind: str, doc_id: str, fields: str | None) -> Any:
    for doc in docs:
        if doc["id"] == doc_id:
            return absolute_hrefs(request, project(doc, fields))
    raise NotFound(f"{kind} {doc_id} not found")


def _many(request: Request, response: Response, docs: list[dict[str, Any]], page: Page) -> Any:
    found, total = page_docs(docs, FILTERABLE, "id", page)
    return paged(response, absolute_hrefs(request, found), total)


@router.get("/resourceSpecification")
def list_resource_specification(ctx: ContextDep, page: Page, request: Request, response: Response) -> Any:
    return _many(request, response, [specification_doc(s) for s in ctx.catalog], page)


@router.get("/resourceSpecification/{spec_id}")
def retrieve_resource_specification(
    spec_id: str, ctx: ContextDep, request: Request, fields: FieldsQuery = None
) -> Any:
    docs = [specification_doc(s) for s in ctx.catalog]
    return _one(request, docs, "resourceSpecification", spec_id, fields)


@router.get("/resourceCatalog")
def list_resource_catalog(ctx: ContextDep, page: Page, request: Request, response: Response) -> Any:
    return _many(request, response, [catalog_doc(ctx.catalog)], page)


@router.get("/resourceCatalog/{catalog_id}")
def retrieve_resource_catalog(
    catalog_id: str, ctx: ContextDep, request: Request, fields: FieldsQuery = None
) -> Any:
    return _one(request, [catalog_doc(ctx.catalog)], "resourceCatalog", catalog_id, fields)


@router.get("/resourceCategory")
def list_resource_category(ctx: ContextDep, page: Page, request: Request, response: Response) -> Any:
    return _many(request, response, category_docs(ctx.catalog), page)


@router.get("/resourceCategory/{category_id}")
def retrieve_resource_category(
    category_id: str, ctx: ContextDep, request: Request, fields: FieldsQuery = None
) -> Any:
    return _one(request, category_docs(ctx.catalog), "resourceCategory", category_id, fields)
