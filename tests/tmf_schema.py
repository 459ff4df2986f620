"""Validate bodies against the official TMF v4 swagger definitions (`../shared/tmf/`)."""

from __future__ import annotations

import json
import os
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, FormatChecker

REPO = Path(__file__).resolve().parent.parent
SWAGGER_DIR = Path(os.environ.get("ROM_TMF_SWAGGER_DIR") or REPO.parent / "shared" / "tmf")
SWAGGER = {
    "652": "TMF652-resource-ordering-v4.swagger.json",
    "639": "TMF639-resource-inventory-v4.swagger.json",
    "634": "TMF634-resource-catalog-v4.swagger.json",
}
FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    """RFC 3339 date-time: a date, `T`, a time and a zone (jsonschema checks it only with an extra
    package, which is not installed here)."""
    if not isinstance(value, str):
        return True
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return "T" in value.upper() and parsed.tzinfo is not None


def swagger_path(api: str) -> Path:
    """The official swagger file: in ROM_TMF_SWAGGER_DIR, else `../shared/tmf` beside the repository
    (TM Forum's files are not copied into this repository)."""
    return SWAGGER_DIR / SWAGGER[api]


def have_swagger() -> bool:
    return all((SWAGGER_DIR / name).is_file() for name in SWAGGER.values())


@cache
def swagger(api: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(swagger_path(api).read_text())
    return doc


@cache
def validator(api: str, definition: str, many: bool = False) -> Draft4Validator:
    ref = {"$ref": f"#/definitions/{definition}"}
    schema = {
        "definitions": swagger(api)["definitions"],
        **({"type": "array", "items": ref} if many else ref),
    }
    return Draft4Validator(schema, format_checker=FORMATS)


def violations(api: str, definition: str, body: Any, many: bool = False) -> list[str]:
    """Every way `body` departs from the definition: `path: message`, empty when it conforms."""
    found = validator(api, definition, many).iter_errors(body)
    return sorted(f"{'/'.join(str(p) for p in e.absolute_path) or '.'}: {e.message}" for e in found)
