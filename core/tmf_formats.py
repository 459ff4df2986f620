"""Formats the TMF v4 swaggers give request attributes, checked at intake (pure).

Whatever a client sends is echoed back, so a value the swagger's `format` does not allow would
make the answer violate the response schema: `@schemaLocation` must be a URI (RFC 3986, with a
scheme) and the date-time attributes RFC 3339 date-times. A characteristic's `value` is free-form
and not looked into.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$")
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$")
# Every attribute of TMF652/TMF639 v4 with `format: date-time`.
DATE_TIMES = frozenset(
    {
        "completionDate",
        "creationDate",
        "date",
        "effectiveCancellationDate",
        "endDateTime",
        "endOperatingDate",
        "expectedCompletionDate",
        "orderDate",
        "requestedCancellationDate",
        "requestedCompletionDate",
        "requestedStartDate",
        "startDate",
        "startDateTime",
        "startOperatingDate",
    }
)
FREE_FORM = frozenset({"value"})  # Characteristic.value: any JSON


def is_date_time(value: str) -> bool:
    if not DATE_TIME.match(value):
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def misformatted(value: Any, path: str = "") -> tuple[str, str] | None:
    """The first attribute whose value breaks its swagger format: (field path, what it must be)."""
    if isinstance(value, list):
        for n, item in enumerate(value):
            if problem := misformatted(item, f"{path}[{n}]"):
                return problem
    if not isinstance(value, dict):
        return None
    for key, item in value.items():
        where = f"{path}.{key}" if path else str(key)
        if key == "@schemaLocation" and isinstance(item, str) and not URI.match(item):
            return where, "must be a URI with a scheme (RFC 3986)"
        if key in DATE_TIMES and isinstance(item, str) and not is_date_time(item):
            return where, "must be an RFC 3339 date-time with a time zone (e.g. 2026-01-01T00:00:00Z)"
        if key not in FREE_FORM and (problem := misformatted(item, where)):
            return problem
    return None
