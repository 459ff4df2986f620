"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from api import admin, alarm, cancel, catalog, hub, resource, resource_order
from api.auth import authorize
from api.auth_first import CredentialsFirst
from api.console import mount as mount_console
from api.errors import install_error_handlers, tmf_error
from api.jwt_auth import JwtVerifier
from api.limits import BodyLimit, BodyTooLarge
from api.text_guard import refuse_uncarryable_text
from core.settings import Settings, get_settings
from drift.monitor import run_periodically
from events.relay import OutboxRelay
from inventory.context import Context
from rom.metrics import OrdersByState
from rom.orders import count_by_state
from rom.worker import OrderWorker


def settle_gc() -> None:
    """The serve's collector policy, once, after its first order (by then its YANG schemas,
    templates and device clients are loaded): one full collection, then all that is alive leaves
    the collector's generations (gc.freeze). Else each later full collection walks them all again,
    a pause of ~190 ms on every thread (bench.gc_pauses); now it walks only what came since."""
    gc.collect()
    gc.freeze()


def guard(area: str) -> Callable[[Request], Coroutine[Any, Any, None]]:
    """One dependency per request for a guarded area's routers: authorization, then the text check
    (after it: a stranger learns nothing). One, not two: FastAPI's solving of each costs more than
    the check it runs."""
    authorized = authorize(area)

    async def check(request: Request) -> None:
        await authorized(request)
        await refuse_uncarryable_text(request)

    return check


def create_app(settings: Settings | None = None) -> FastAPI:
    s = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx = Context.create(s)
        worker = OrderWorker(
            ctx, threads=s.order_threads, lease_seconds=s.lease_seconds, after_first_order=settle_gc
        )
        app.state.ctx, app.state.worker = ctx, worker
        app.state.jwt = JwtVerifier.from_settings(s)
        app.state.registry = CollectorRegistry(auto_describe=False)
        app.state.registry.register(OrdersByState(lambda: count_by_state(ctx)))
        worker.start()
        drift_stop = threading.Event()
        threading.Thread(
            target=run_periodically, args=(ctx, drift_stop), daemon=True, name="rom-drift"
        ).start()
        stop = asyncio.Event()
        relay = asyncio.create_task(OutboxRelay(ctx, worker.owner).run(stop))
        try:
            yield
        finally:
            stop.set()
            drift_stop.set()
            await relay
            worker.stop()
            ctx.engine.dispose()

    app = FastAPI(title="ROM", version="0.1.0", lifespan=lifespan)
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=s.max_body_bytes)
    guarded = [(resource_order.router.prefix, "orders"), (catalog.router.prefix, "orders")]
    guarded += [(resource.router.prefix, "inventory"), (alarm.router.prefix, "inventory")]
    app.add_middleware(CredentialsFirst, areas=[*guarded, (admin.router.prefix, "admin")])

    @app.exception_handler(BodyTooLarge)
    async def _too_large(_: Request, exc: BodyTooLarge) -> JSONResponse:
        return tmf_error(413, "Payload too large", exc.detail)

    orders, inventory = [Depends(guard("orders"))], [Depends(guard("inventory"))]
    app.include_router(resource_order.router, dependencies=orders)
    app.include_router(cancel.router, dependencies=orders)
    app.include_router(hub.hub_router(resource_order.router.prefix), dependencies=orders)
    app.include_router(hub.hub_router(resource.router.prefix), dependencies=inventory)
    app.include_router(resource.router, dependencies=inventory)
    app.include_router(catalog.router, dependencies=orders)  # what a SOM reads to order
    app.include_router(alarm.router, dependencies=inventory)
    app.include_router(hub.hub_router(alarm.router.prefix), dependencies=inventory)
    app.include_router(admin.router, dependencies=[Depends(authorize("admin"))])
    mount_console(app)  # the operator console under /console (api/console/)

    @app.get("/health", tags=["ops"])
    async def health() -> dict[str, str]:  # no I/O: on the loop, no thread-pool hand-off
        return {"status": "ok"}

    @app.get("/metrics", tags=["ops"])
    def metrics(request: Request) -> Response:
        body = generate_latest(REGISTRY) + generate_latest(request.app.state.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return app
