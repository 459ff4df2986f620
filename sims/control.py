"""The loopback HTTP control endpoint of a fleet: inject, list and clear faults.

``build_control_app(fleet)`` makes the FastAPI app; ``ControlServer`` (or ``serve_control``) serves it
with uvicorn inside the fleet's own event loop, so every handler (all ``async def``) touches device
state from that loop. Routes:

- ``GET /health``; ``GET /devices``; ``GET /links``
- ``POST /faults`` (body: ``FaultRequest``) -> 201 the fault; ``GET /faults[?device=&kind=]``;
  ``GET /faults/{id}``; ``DELETE /faults/{id}`` -> 204; ``DELETE /faults`` -> 204 (all)

Errors are JSON ``{"detail": ...}``: 404 unknown device/link/fault, 422 invalid fault, 409 when the
device refuses an action (detail carries the rpc-error).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from typing import Annotated, Any, Literal

import uvicorn
from fastapi import FastAPI, HTTPException, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from sims.errors import RpcError
from sims.faults import Fault
from sims.world import FleetLike, SimWorld

FaultKind = Literal[
    "fail-commit",
    "fail-validate",
    "latency",
    "refuse-connections",
    "link-down",
    "degrade-kpi",
    "load",
    "drop-sessions",
    "restart",
    "config-change",
]


class FaultRequest(BaseModel):
    """A fault to inject (see ``sims.faults`` for what each kind uses)."""

    model_config = ConfigDict(extra="forbid")

    kind: FaultKind
    device: str | None = Field(None, min_length=1, max_length=253)
    link: str | None = Field(None, min_length=1, max_length=512)
    slice: str | None = Field(None, max_length=16, description="S-NSSAI as '<sst>-<sd>', e.g. '1-000001'")
    count: int = Field(1, ge=1, le=1_000_000)
    latency_ms: float = Field(0.0, ge=0.0, le=600_000.0, allow_inf_nan=False)
    throughput_factor: float = Field(1.0, ge=0.0, le=1.0, allow_inf_nan=False)
    load: float = Field(1.0, ge=0.0, le=1000.0, allow_inf_nan=False)
    message: str | None = Field(None, max_length=1000)
    config: str | None = Field(None, max_length=1_000_000)


def _rpc_error_detail(error: RpcError) -> dict[str, Any]:
    return {
        "error-type": error.error_type,
        "error-tag": error.tag,
        "error-path": error.path,
        "error-message": error.message,
    }


def build_control_app(fleet: FleetLike, world: SimWorld | None = None) -> FastAPI:
    """The control app of ``fleet``; without ``world`` one is created and attached to the devices."""
    if world is None:
        world = SimWorld(fleet)
        world.attach()
    app = FastAPI(title="ROM simulator fleet control", version="1")
    app.state.world = world

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/devices")
    async def devices() -> dict[str, list[dict[str, Any]]]:
        return {
            "devices": [
                {
                    "name": name,
                    "model": device.model.name,
                    "platform": device.model.platform,
                    "sessions": len(device.session_ids),
                }
                for name, device in world.fleet.devices.items()
            ]
        }

    @app.get("/links")
    async def links() -> dict[str, list[dict[str, Any]]]:
        return {
            "links": [
                {
                    "id": link.id,
                    "a": f"{link.a}:{link.a_port}",
                    "b": f"{link.b}:{link.b_port}",
                    "up": world.network.is_up(link.id),
                }
                for link in world.network.links.values()
            ]
        }

    @app.post("/faults", status_code=201)
    async def inject(request: FaultRequest) -> dict[str, Any]:
        try:
            fault = world.inject(Fault(**request.model_dump(exclude_none=True)))
        except KeyError as exc:
            raise HTTPException(404, str(exc.args[0]) if exc.args else "not found") from None
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        except RpcError as exc:
            raise HTTPException(409, _rpc_error_detail(exc)) from None
        return fault.to_dict()

    @app.get("/faults")
    async def list_faults(
        device: Annotated[str | None, Query(max_length=253)] = None,
        kind: Annotated[str | None, Query(max_length=64)] = None,
    ) -> dict[str, list[dict[str, Any]]]:
        return {"faults": [fault.to_dict() for fault in world.faults.find(device, kind)]}

    @app.get("/faults/{fault_id}")
    async def get_fault(fault_id: str) -> dict[str, Any]:
        try:
            return world.faults.get(fault_id).to_dict()
        except KeyError:
            raise HTTPException(404, f"no fault '{fault_id}'") from None

    @app.delete("/faults/{fault_id}", status_code=204)
    async def clear_fault(fault_id: str) -> Response:
        try:
            world.clear(fault_id)
        except KeyError:
            raise HTTPException(404, f"no fault '{fault_id}'") from None
        return Response(status_code=204)

    @app.delete("/faults", status_code=204)
    async def clear_faults() -> Response:
        world.clear_all()
        return Response(status_code=204)

    return app


class _LoopServer(uvicorn.Server):
    """A uvicorn server that leaves the process's signals to the fleet host."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class ControlServer:
    """Serve a control app in the running event loop: ``port = await server.start()``."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._server: _LoopServer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> int:
        """Bind (OSError if the port is taken), start serving, and return the port."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, host=self.host, port=self.port, lifespan="off", log_level="warning")
        self._server = _LoopServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                sock.close()
                self._task.result()
                raise OSError("control server stopped during startup")
            await asyncio.sleep(0.01)
        return self.port

    async def wait(self) -> None:
        """Until the server stops."""
        if self._task is not None:
            await self._task

    async def stop(self) -> None:
        """Stop serving and close connections."""
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
            self._server = None
            self._task = None


async def serve_control(app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> None:
    """Serve ``app`` until cancelled (then shut down cleanly)."""
    server = ControlServer(app, host, port)
    await server.start()
    try:
        await server.wait()
    finally:
        await server.stop()
