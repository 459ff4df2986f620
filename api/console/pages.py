"""The console's pages: thin views over reads (api.console.reads) and the drift services
(drift.reconcile / drift.remediate, the very functions `rom drift` calls)."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from api.auth import Unauthenticated
from api.console import charts, kpis, order_rows, reads, topology
from api.console.live import order_changes
from api.console.session import (
    COOKIE,
    LOGIN_COOKIE,
    LOGIN_FORM_SECONDS,
    SESSION_SECONDS,
    Sessions,
    Viewer,
    check_token,
    form_fields,
    login_form_checked,
    safe_next,
    viewer,
)
from api.deps import ContextDep
from core.errors import EXPECTED
from drift.reconcile import reconcile
from drift.remediate import adopt, remediate
from drift.report import summary_line

HERE = Path(__file__).parent
audit_log = logging.getLogger("inventory.audit")  # the audit trail's channel, shown by rom serve
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(prefix="/console", include_in_schema=False)
ORDERS = "orders:read"
INVENTORY = "inventory:read"
DRIFT_WRITE = ("admin", "inventory:write")
OrdersViewer = Annotated[Viewer, Depends(viewer(ORDERS))]
InventoryViewer = Annotated[Viewer, Depends(viewer(INVENTORY))]
DriftWriter = Annotated[Viewer, Depends(viewer(*DRIFT_WRITE))]


templates.env.filters["iso"] = reads.iso


def page(request: Request, who: Viewer | None, name: str, status: int = 200, **values: Any) -> HTMLResponse:
    response = templates.TemplateResponse(
        request,
        name,
        {"who": who, "may_fix": bool(who and who.may(*DRIFT_WRITE)), **values},
        status_code=status,
    )
    if who is not None and who.session_id:
        set_cookie(response, who.session_id)
    return response


def set_cookie(response: Response, sid: str) -> None:
    response.set_cookie(
        COOKIE, sid, max_age=SESSION_SECONDS, httponly=True, samesite="strict", path="/console"
    )


# --- login -------------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
@router.get("/", response_class=HTMLResponse)
def home() -> RedirectResponse:
    return RedirectResponse("/console/orders", status_code=303)


def login_page(request: Request, then: str, error: str | None = None, status: int = 200) -> HTMLResponse:
    """The login form with a fresh CSRF token, in the form and in its own cookie (double submit)."""
    token = secrets.token_urlsafe(24)
    response = page(request, None, "login.html", status=status, then=then, error=error, login_csrf=token)
    response.set_cookie(
        LOGIN_COOKIE, token, LOGIN_FORM_SECONDS, httponly=True, samesite="strict", path="/console/login"
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return login_page(request, safe_next(next))


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    form = await form_fields(request)
    token, then = form.get("token", "").strip()[:8192], safe_next(form.get("next"))
    if refused := login_form_checked(request, form):
        return login_page(request, then, refused, status=403)
    try:
        check_token(request, token)
    except Unauthenticated as exc:
        return login_page(request, then, str(exc), status=401)
    sessions: Sessions = request.app.state.console_sessions
    sid, _ = sessions.open(token)
    response = RedirectResponse(then, status_code=303)
    set_cookie(response, sid)
    response.delete_cookie(LOGIN_COOKIE, path="/console/login")
    return response


@router.post("/logout")
def logout(request: Request, _: Annotated[Viewer, Depends(viewer())]) -> RedirectResponse:
    request.app.state.console_sessions.close(request.cookies.get(COOKIE))
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE, path="/console")
    return response


# --- orders ------------------------------------------------------------------------------------


@router.get("/orders", response_class=HTMLResponse)
def orders(
    request: Request,
    ctx: ContextDep,
    who: OrdersViewer,
    state: Annotated[str | None, Query(max_length=32)] = None,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> HTMLResponse:
    lines, total = reads.order_lines(ctx, offset, limit, state or None)
    return page(
        request, who, "orders.html", rows=order_rows.rows(lines), shown=len(lines), total=total, state=state,
        offset=offset, limit=limit,
    )  # fmt: skip


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order(request: Request, ctx: ContextDep, who: OrdersViewer, order_id: str) -> HTMLResponse:
    return page(request, who, "order.html", o=reads.order_view(ctx, order_id))


@router.get("/live")
def live(request: Request, ctx: ContextDep, _: OrdersViewer) -> StreamingResponse:
    stream = order_changes(request, ctx, request.headers.get("last-event-id"))
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream, media_type="text/event-stream", headers=headers)


# --- topology and devices ----------------------------------------------------------------------


@router.get("/topology", response_class=HTMLResponse)
def topology_page(request: Request, ctx: ContextDep, who: InventoryViewer) -> HTMLResponse:
    devices, per = reads.devices_with_resources(ctx)
    labs = topology.read_labs(request.app.state.console.topologies)
    nodes, links = topology.nodes_and_links(
        labs,
        {d.name: (d.role, d.source) for d in devices},
        {name: reads.device_state(rs) for name, rs in per.items()},
        {name: len(rs) for name, rs in per.items()},
    )
    picture = Markup(topology.draw(nodes, links))
    return page(request, who, "topology.html", picture=picture, nodes=nodes, links=links)


@router.get("/devices/{name}", response_class=HTMLResponse)
def device(request: Request, ctx: ContextDep, who: InventoryViewer, name: str) -> HTMLResponse:
    view = reads.device_view(ctx, name)
    return page(request, who, "device.html", d=view, state=reads.device_state(view.resources))


# --- drift -------------------------------------------------------------------------------------


def _scope(device: str, resource: str) -> tuple[str | None, str | None]:
    return device.strip()[:128] or None, resource.strip()[:64] or None


@router.get("/drift", response_class=HTMLResponse)
async def drift(
    request: Request,
    ctx: ContextDep,
    who: InventoryViewer,
    device: Annotated[str, Query(max_length=128)] = "",
    resource: Annotated[str, Query(max_length=64)] = "",
    full: bool = False,
) -> HTMLResponse:
    d, r = _scope(device, resource)
    try:
        report = await run_in_threadpool(reconcile, ctx, d, r, "compare-all" if full else "full")
    except EXPECTED as exc:
        return page(
            request,
            who,
            "drift.html",
            status=502,
            error=str(exc),
            report=[],
            device=device,
            resource=resource,
        )
    drifted = [x for x in report if not x.in_sync]
    return page(
        request, who, "drift.html", report=report, drifted=drifted, summary=summary_line(report),
        device=device, resource=resource, error=None,
    )  # fmt: skip


@router.post("/drift/remediate", response_class=HTMLResponse)
async def drift_remediate(
    request: Request,
    ctx: ContextDep,
    who: DriftWriter,
) -> HTMLResponse:
    form = await form_fields(request)
    device, resource, apply = form.get("device", ""), form.get("resource", ""), form.get("apply") == "true"
    d, r = _scope(device, resource)
    try:
        result = await run_in_threadpool(
            lambda: remediate(ctx, d, r, apply=apply, principal=who.principal.name)
        )
    except EXPECTED as exc:
        return page(request, who, "remediate.html", status=502, error=str(exc), result=None, apply=apply,
                    device=device, resource=resource)  # fmt: skip
    return page(request, who, "remediate.html", result=result, apply=apply, device=device, resource=resource,
                error=None)  # fmt: skip


@router.post("/drift/adopt", response_class=HTMLResponse)
async def drift_adopt(
    request: Request,
    ctx: ContextDep,
    who: DriftWriter,
) -> HTMLResponse:
    form = await form_fields(request)
    d, r = _scope(form.get("device", ""), form.get("resource", ""))
    try:
        result = await run_in_threadpool(adopt, ctx, d, r)
    except EXPECTED as exc:
        return page(request, who, "adopt.html", status=502, error=str(exc), result=None)
    if result.adopted:  # no device changed, so no audit entry: the resources' events and this line say who
        audit_log.info("console: %s adopted values into %s", who.principal.name, sorted(result.adopted))
    return page(request, who, "adopt.html", result=result, error=None)


# --- slices and alarms -------------------------------------------------------------------------


@router.get("/slices", response_class=HTMLResponse)
def slices(request: Request, ctx: ContextDep, who: InventoryViewer) -> HTMLResponse:
    settings = request.app.state.console
    resources = reads.slice_resources(ctx)
    history = reads.status_history(ctx, [r.id for r in resources])
    pictures, problem = [], None
    try:
        rules = kpis.load_rules(settings.sla_rules)
        found = kpis.recent_kpis(
            ctx.settings.kafka_bootstrap, settings.kpi_minutes, [r.id for r in resources]
        )
        pictures = [(s, Markup(charts.chart(s, kpis.rule_for(rules, s)))) for s in found]
    except EXPECTED as exc:
        problem = str(exc)
    return page(
        request, who, "slices.html", resources=resources, history=history, charts=pictures, problem=problem,
        minutes=settings.kpi_minutes, kafka=bool(ctx.settings.kafka_bootstrap),
        names={r.id: r.name for r in resources},
    )  # fmt: skip
