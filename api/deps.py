"""FastAPI dependencies: the process context and the request's correlation id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Query, Request

from rom.context import Context


def get_context(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def correlation_id(x_correlation_id: Annotated[str | None, Header(max_length=128)] = None) -> str:
    return x_correlation_id or str(uuid.uuid4())


ContextDep = Annotated[Context, Depends(get_context)]
CorrelationDep = Annotated[str, Depends(correlation_id)]


@dataclass(frozen=True)
class PageParams:
    offset: int
    limit: int


def paging(
    offset: Annotated[int, Query(ge=0, description="First result (0-based).")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many results.")] = 100,
) -> PageParams:
    return PageParams(offset, limit)


Paging = Annotated[PageParams, Depends(paging)]
