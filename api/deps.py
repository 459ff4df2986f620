"""FastAPI dependencies: the process context and the request's correlation id."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Header, Request

from rom.context import Context


def get_context(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def correlation_id(x_correlation_id: Annotated[str | None, Header(max_length=128)] = None) -> str:
    return x_correlation_id or str(uuid.uuid4())


ContextDep = Annotated[Context, Depends(get_context)]
CorrelationDep = Annotated[str, Depends(correlation_id)]
