"""What both API fuzz tests run against: `rom serve` on an inventory with one device, seeded with
waiting orders, a cancellation, hubs and an adopted resource so that fuzzed paths can hit them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from core.settings import Settings
from inventory.context import Context
from inventory.records import Device, upsert_device
from lab.support import serving
from tests.integration.conftest import l3vpn_item

ORDERING, INVENTORY = "/tmf-api/resourceOrderingManagement/v4", "/tmf-api/resourceInventoryManagement/v4"
CATALOG = "/tmf-api/resourceCatalog/v4"


@dataclass
class Served:
    base_url: str
    ids: dict[str, list[str]]  # collection path (e.g. "/resourceOrder") -> ids that exist
    log: Path


def seed(client: httpx.Client) -> dict[str, list[str]]:
    def created(path: str, body: dict[str, Any]) -> str:
        response = client.post(path, json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    waiting = [
        {"orderItem": [l3vpn_item("1", "pe1", f"F{v}", v)], "requestedStartDate": "2099-01-01T00:00:00Z"}
        for v in range(301, 309)
    ]
    orders = [created(f"{ORDERING}/resourceOrder", body) for body in waiting]
    task = created(f"{ORDERING}/cancelResourceOrder", {"resourceOrder": {"id": orders[-1]}})
    hubs = [
        created(f"{api}/hub", {"callback": "http://127.0.0.1:9/listener"}) for api in (ORDERING, INVENTORY)
    ]
    item = l3vpn_item("1", "pe1", "FA", 399)
    body = {"name": "adopted", "resourceSpecification": {"id": "l3vpn-endpoint"}, **item["resource"]}
    resource = created(f"{INVENTORY}/resource", body)
    return {
        "/resourceOrder": orders,
        "/cancelResourceOrder": [task],
        "/hub": hubs,
        "/resource": [resource, "device-pe1"],
        "/resourceSpecification": ["l3vpn-endpoint", "slice-core"],
        "/resourceCatalog": ["rom"],
        "/resourceCategory": ["transport", "5g-core"],
    }


@contextmanager
def served_rom(var_dir: Path) -> Iterator[Served]:
    ctx = Context.create(Settings(var_dir=var_dir))
    with ctx.transaction() as session:
        upsert_device(session, Device(name="pe1", host="127.0.0.1", port=1, platform="rom-router"))
    ctx.engine.dispose()
    env = {**os.environ, "ROM_VAR_DIR": str(var_dir), "ROM_MAX_BODY_BYTES": str(64 * 1024)}
    with serving(env, var_dir / "serve.log") as client:
        yield Served(str(client.base_url), seed(client), var_dir / "serve.log")
