"""The operator console: server-rendered pages under `/console`, served by `rom serve` itself.

Orders (live over SSE), topology, drift (report, remediate, adopt) and 5G slices, from the same
services the CLI and the API use. No build step and no external fetches: Jinja2 templates, one
stylesheet and one small script in `static/`, SVG drawn on the server. `mount(app)` wires it in.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.console.pages import page, router
from api.console.session import LoginRequired, NotAllowed, Sessions, login_url


class ConsoleSettings(BaseSettings):
    """`ROM_CONSOLE_TOPOLOGIES`: the folder of containerlab files the topology page draws;
    `ROM_CONSOLE_SLA_RULES`: the SLA rules file the slice charts draw thresholds from;
    `ROM_CONSOLE_KPI_MINUTES`: how far back the slice charts go."""

    model_config = SettingsConfigDict(env_prefix="ROM_CONSOLE_")
    topologies: Path = Path("topologies")
    sla_rules: Path | None = None
    kpi_minutes: float = 10.0


def mount(app: FastAPI, settings: ConsoleSettings | None = None) -> None:
    app.state.console_sessions = Sessions()
    app.state.console = settings or ConsoleSettings()
    app.include_router(router)
    app.mount(
        "/console/static", StaticFiles(directory=Path(__file__).parent / "static"), name="console-static"
    )

    @app.exception_handler(LoginRequired)
    async def _login(_: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(login_url(exc.then), status_code=303)

    @app.exception_handler(NotAllowed)
    async def _not_allowed(request: Request, exc: NotAllowed) -> HTMLResponse:
        return page(request, None, "refused.html", status=403, reason=str(exc))
