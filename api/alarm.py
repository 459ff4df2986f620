"""TMF642 Alarm Management: alarms on ROM's resources (the SLA monitor raises and clears them),
listed, acknowledged and cleared by an assurance system."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response

from api.deps import ContextDep, CorrelationDep, Page, absolute_hrefs, no_content, own_path, paged
from inventory import alarms
from inventory.tmf642 import ALARM_API

router = APIRouter(prefix=ALARM_API, tags=["alarm"])
FieldsQuery = Annotated[
    str | None, Query(description="Comma-separated attributes to return (plus id, href).")
]


@router.post("/alarm", status_code=201)
def create_alarm(
    body: Annotated[dict[str, Any], Body()],
    ctx: ContextDep,
    correlation: CorrelationDep,
    request: Request,
    response: Response,
) -> Any:
    """Raise an alarm (its source: ROM's SLA monitor, or another system)."""
    doc = absolute_hrefs(request, alarms.create_alarm(ctx, body, correlation))
    response.headers["Location"] = doc["href"]
    return doc


@router.get("/alarm")
def list_alarm(ctx: ContextDep, page: Page, request: Request, response: Response) -> Any:
    docs, total = alarms.list_alarms_page(ctx, page)
    return paged(response, absolute_hrefs(request, docs), total)


@router.get("/alarm/{alarm_id}")
def retrieve_alarm(alarm_id: str, ctx: ContextDep, request: Request, fields: FieldsQuery = None) -> Any:
    return absolute_hrefs(request, alarms.get_alarm(ctx, alarm_id, fields))


@router.patch("/alarm/{alarm_id}")
def patch_alarm(
    alarm_id: str,
    body: Annotated[dict[str, Any], Body()],
    ctx: ContextDep,
    correlation: CorrelationDep,
    request: Request,
) -> Any:
    """Merge patch: `ackState` to acknowledge, `perceivedSeverity: cleared` (or an
    `alarmClearedTime`) to clear, or what the source reports changed (state `updated`)."""
    return absolute_hrefs(request, alarms.patch_alarm(ctx, alarm_id, own_path(request, body), correlation))


@router.delete("/alarm/{alarm_id}", status_code=204)
def delete_alarm(alarm_id: str, ctx: ContextDep, correlation: CorrelationDep) -> Response:
    alarms.delete_alarm(ctx, alarm_id, correlation)
    return no_content()


@router.post("/ackAlarms", status_code=201)
def ack_alarms(
    body: Annotated[dict[str, Any], Body()], ctx: ContextDep, correlation: CorrelationDep, request: Request
) -> Any:
    """Acknowledge every alarm matching one of `alarmPattern` (e.g. `[{"id": …}]`)."""
    return absolute_hrefs(request, alarms.run_task(ctx, "ackAlarms", body, correlation))


@router.post("/clearAlarms", status_code=201)
def clear_alarms(
    body: Annotated[dict[str, Any], Body()], ctx: ContextDep, correlation: CorrelationDep, request: Request
) -> Any:
    """Clear every raised alarm matching one of `alarmPattern`."""
    return absolute_hrefs(request, alarms.run_task(ctx, "clearAlarms", body, correlation))
