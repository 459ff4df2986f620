"""Validate rendered intents against their platform's YANG (pure but for reading module files)."""

from __future__ import annotations

import contextvars
import hashlib
import json
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

from lxml import etree
from yangson.enumerations import ContentType, ValidationScope
from yangson.exceptions import RawMemberError, SchemaError, YangsonException
from yangson.schemanode import InternalNode
from yangson.schpattern import Conditional, Member

from core.errors import Unprocessable
from core.tmf652 import ResourceOrderCreate
from intent.catalog import Catalog
from intent.planner import Intended, PlannedItem, intended_for, plan_order
from intent.yang import shapes
from intent.yang.library import data_model, module_set_digest
from intent.yang.payload import gnmi_tree, to_etree
from intent.yang.platforms import PLATFORM_MODULES

_FRAGMENT: contextvars.ContextVar[bool] = contextvars.ContextVar("yangval_fragment", default=False)
_check_pattern = InternalNode._check_schema_pattern
_VALIDATING = threading.Lock()


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


def _when_in_fragments(evaluate: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    """A `when` is not evaluated while a fragment is validated (it holds): its condition usually
    lies outside the fragment (an interface's type), the device's business like a leafref, as
    with `yanglint -t edit`. The check then depends on the payload's shape and its leaves' types
    only, which is what `intent.yang.shapes` relies on."""

    def when(self: Any, cnode: Any) -> None:
        if _FRAGMENT.get():
            self._val_when = True
        else:
            evaluate(self, cnode)

    return when


setattr(InternalNode, "_check_schema_pattern", _fragment_pattern)  # noqa: B010
for _pattern in (Conditional, Member):
    setattr(_pattern, "_eval_when", _when_in_fragments(_pattern._eval_when))  # noqa: B010


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
        payload: etree._Element | dict[str, Any]
        if want.protocol == "gnmi":
            raw: dict[str, Any] = json.loads(json.dumps(gnmi_tree(want.document or "{}")))
            payload, (shape, leaves) = raw, shapes.json_shape(raw)
            instance = None if shapes.known_valid(model, shape, leaves) else model.from_raw(raw)
        else:  # the shape and leaves off the lxml tree; yangson's own tree only for the full check
            payload, (shape, leaves) = want.payload, shapes.xml_shape(want.payload)
            instance = None if shapes.known_valid(model, shape, leaves) else model.from_xml(to_etree(payload))
        if instance is None:  # shaped like a payload validated before, every leaf of its type
            return []
        token = _FRAGMENT.set(True)
        try:
            with _VALIDATING:  # yangson's schema patterns keep `when` results in the (shared) model
                instance.validate(ValidationScope.syntax, ContentType.config)
        finally:
            _FRAGMENT.reset(token)
        shapes.learn(model, shape, payload)
    except RawMemberError as exc:  # its str is the bare path
        return [f"{{{exc.path}}} unknown-element: not in the schema"]
    except YangsonException as exc:
        return [str(exc)]
    except (ValueError, TypeError, KeyError, AttributeError) as exc:  # yangson on malformed input
        return [f"{type(exc).__name__}: {exc}"]
    return []


# Bumped when what the check accepts changes: orders stamped by an older check are checked again.
CHECK_VERSION = "1"
_MODEL_SETS: dict[tuple[str, ...], str] = {}
_MODEL_SETS_LOCK = threading.Lock()


def model_set(directories: Sequence[Path]) -> str:
    """Digest of the YANG this process validates with: every platform's module closure as found
    below `directories` (names, revisions, file bytes), the check's version and yangson's. Cached
    per process, as the loaded modules are; a restart reads the files again."""
    key = tuple(str(d) for d in directories)
    with _MODEL_SETS_LOCK:
        if key not in _MODEL_SETS:
            digest = hashlib.sha256(f"{CHECK_VERSION} yangson {version('yangson')}".encode())
            for platform, modules in sorted(PLATFORM_MODULES.items()):
                digest.update(f"\0{platform} {module_set_digest(modules, directories)}".encode())
            _MODEL_SETS[key] = digest.hexdigest()
        return _MODEL_SETS[key]


Checked = tuple[PlannedItem, str, Intended]  # an item, its device's platform, one rendered payload


def _stamp(wants: Sequence[Checked], directories: Sequence[Path]) -> str:
    """What a validation vouches for: the model set and every payload, with its device and platform."""
    digest = hashlib.sha256(model_set(directories).encode())
    for item, platform, want in wants:
        body = want.document if want.protocol == "gnmi" else etree.tostring(want.payload, encoding="unicode")
        digest.update(f"\0{item.item_id}\0{want.device}\0{platform}\0{want.protocol}\0{body}".encode())
    return digest.hexdigest()


def check_items(
    catalog: Catalog,
    items: Sequence[PlannedItem],
    platforms: Mapping[str, str],
    directories: Sequence[Path],
    validated: str | None = None,
    rendered: Sequence[tuple[str, Intended]] | None = None,
) -> str | None:
    """Unprocessable (TMF 422) naming the first add or modify whose rendered payload breaks its
    YANG; returns the stamp of what was checked (None: validation off).

    `validated`: the stamp recorded when the order was checked at intake; when the payloads and
    the model set are the same, they are not checked again. `rendered`: the items' payloads as
    (item id, intent), when the caller has rendered them already."""
    if not directories:
        return None
    by_id = {item.item_id: item for item in items}
    if rendered is None:
        rendered = [
            (item.item_id, want)
            for item in items
            if item.action in ("add", "modify")
            for want in intended_for(catalog, item)
        ]
    wants = [(by_id[i], platforms.get(w.device, by_id[i].platform), w) for i, w in rendered]
    stamp = _stamp(wants, directories)
    if stamp == validated:
        return stamp
    for item, platform, want in wants:
        found = problems(want, platform, directories)
        if found:
            role = f" role {want.role}" if want.role else ""
            raise Unprocessable(
                f"orderItem {item.item_id}{role}: the payload for {want.device} ({platform}) "
                f"breaks its YANG: {found[0]}"
            )
    return stamp


def check_request(
    catalog: Catalog,
    request: Mapping[str, Any],
    platforms: Mapping[str, str],
    current: Mapping[str, Any],
    yang_path: str,
    planned: Sequence[PlannedItem] = (),
    rendered: Mapping[str, Sequence[Intended]] | None = None,
) -> str | None:
    """Check every payload of a stored order request (allocated values included); returns the
    stamp to record on the order (None: validation off). `planned`: the request's items as planned
    before intake allocated values; an item whose characteristics intake left as they were is
    rendered from it (or taken from `rendered`, item id -> what the caller rendered from that very
    item), the others are planned again."""
    directories = search_path(yang_path)
    if not directories:
        return None
    before = {item.item_id: item for item in planned}
    raw_items = list(request.get("orderItem", []))
    again = [raw for raw in raw_items if not _unchanged(raw, before.get(str(raw.get("id"))))]
    items = {item.item_id: item for item in before.values()}
    if again:
        order = ResourceOrderCreate.model_validate({**request, "orderItem": again})
        items.update((i.item_id, i) for i in plan_order(order, catalog, platforms, current))
    ordered = [items[str(raw.get("id"))] for raw in raw_items]
    replanned = {str(raw.get("id")) for raw in again}  # what the caller rendered is not what is stored
    given = {i: w for i, w in (rendered or {}).items() if w and i in before and i not in replanned}
    wants = [
        (item.item_id, want)
        for item in ordered
        if item.action in ("add", "modify")
        for want in given.get(item.item_id) or intended_for(catalog, item)
    ]
    return check_items(catalog, ordered, platforms, directories, rendered=wants)


def _unchanged(raw: Mapping[str, Any], item: PlannedItem | None) -> bool:
    """Whether a raw order item still plans as `item` (intake allocated none of its values)."""
    if item is None or raw.get("action") != item.action:
        return False
    chars = (raw.get("resource") or {}).get("resourceCharacteristic") or []
    return all(item.values.get(c.get("name"), _MISSING) == c.get("value") for c in chars)


_MISSING = object()
