"""Validate rendered intents against their platform's YANG (pure but for reading module files)."""

from __future__ import annotations

import contextvars
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from yangson.enumerations import ContentType, ValidationScope
from yangson.exceptions import SchemaError, YangsonException
from yangson.schemanode import InternalNode

from core.errors import Unprocessable
from core.tmf652 import ResourceOrderCreate
from intent.catalog import Catalog
from intent.planner import Intended, PlannedItem, intended_for, plan_order
from intent.yang.library import data_model
from intent.yang.payload import gnmi_tree, to_etree
from intent.yang.platforms import PLATFORM_MODULES

_FRAGMENT: contextvars.ContextVar[bool] = contextvars.ContextVar("yangval_fragment", default=False)
_check_pattern = InternalNode._check_schema_pattern


def _fragment_pattern(self: InternalNode, inst: Any, ctype: ContentType) -> None:
    """yangson's content-model check, less `missing-data` while a fragment is validated: one
    resource's payload is part of a datastore (an edit), so a mandatory node it does not carry
    (an interface's config/type) is the device's business, as with `yanglint -t edit`. Members
    not allowed are still refused (they are checked before what is missing), and so is a list
    entry without a key."""
    try:
        _check_pattern(self, inst, ctype)
    except SchemaError as exc:
        if not (_FRAGMENT.get() and exc.tag == "missing-data") or _names_a_key(self, exc):
            raise


def _names_a_key(node: InternalNode, exc: SchemaError) -> bool:
    """Whether a missing-data error is a list entry without one of its keys (never the device's
    business: without its keys the entry is not one)."""
    keys = {name for name, _module in getattr(node, "keys", None) or ()}
    return any(exc.message == f"expected '{key}'" for key in keys)


setattr(InternalNode, "_check_schema_pattern", _fragment_pattern)  # noqa: B010


def search_path(setting: str) -> list[Path]:
    """The directories of a `ROM_YANG_PATH` value (os.pathsep-separated)."""
    return [Path(part).expanduser() for part in setting.split(os.pathsep) if part]


def problems(want: Intended, platform: str, directories: Sequence[Path]) -> list[str]:
    """Why `want`'s payload breaks its platform's YANG (empty: valid, or the platform has none)."""
    modules = PLATFORM_MODULES.get(platform)
    if not modules or not directories:
        return []
    model = data_model(modules, directories)
    try:
        if want.protocol == "gnmi":
            tree: Any = gnmi_tree(want.document or "{}")
            instance = model.from_raw(json.loads(json.dumps(tree)))
        else:
            instance = model.from_xml(to_etree(want.payload))
        token = _FRAGMENT.set(True)
        try:
            instance.validate(ValidationScope.syntax, ContentType.config)
        finally:
            _FRAGMENT.reset(token)
    except YangsonException as exc:
        return [str(exc)]
    except (ValueError, TypeError, KeyError, AttributeError) as exc:  # yangson on malformed input
        return [f"{type(exc).__name__}: {exc}"]
    return []


def check_items(
    catalog: Catalog, items: Sequence[PlannedItem], platforms: Mapping[str, str], directories: Sequence[Path]
) -> None:
    """Unprocessable (TMF 422) naming the first item whose rendered payload breaks its YANG."""
    if not directories:
        return
    for item in items:
        if item.action in ("delete", "noChange"):
            continue
        for want in intended_for(catalog, item):
            platform = platforms.get(want.device, item.platform)
            found = problems(want, platform, directories)
            if found:
                role = f" role {want.role}" if want.role else ""
                raise Unprocessable(
                    f"orderItem {item.item_id}{role}: the payload for {want.device} ({platform}) "
                    f"breaks its YANG: {found[0]}"
                )


def check_request(
    catalog: Catalog,
    request: Mapping[str, Any],
    platforms: Mapping[str, str],
    current: Mapping[str, Any],
    yang_path: str,
) -> None:
    """Re-plan a stored order request (allocated values included) and check every payload."""
    directories = search_path(yang_path)
    if not directories:
        return
    items = plan_order(ResourceOrderCreate.model_validate(request), catalog, platforms, current)
    check_items(catalog, items, platforms, directories)
