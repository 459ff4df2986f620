"""Import every module that declares a table, so `core.db.Base.metadata` holds the whole schema."""

from __future__ import annotations

import importlib

TABLE_MODULES = (
    "core.outbox",
    "inventory.records",
    "inventory.alarms",
    "inventory.pool_store",
    "inventory.audit",
    "inventory.fingerprints",
    "rom.order_store",
)


def import_all_tables() -> None:
    for name in TABLE_MODULES:
        importlib.import_module(name)
