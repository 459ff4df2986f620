"""Text a device can carry (pure): what intake refuses, and how stored text is made readable.

ROM's payloads reach devices as XML (NETCONF) or JSON (gNMI) and leave the API as UTF-8 JSON, so a
string must be valid XML 1.0 character data: tab, newline, carriage return and every Unicode
scalar value from U+0020 except U+FFFE/U+FFFF. That refuses NUL and the other C0 controls, and lone
surrogates (a JSON escape such as "\\udc80" decodes to one; no UTF-8 encoder accepts it).

`readable` is the other half: whatever was stored before intake refused such text is read back
with each lone surrogate replaced by U+FFFD, so that no stored row can make a read fail.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Not an XML 1.0 Char (https://www.w3.org/TR/xml/#charsets).
_UNCARRYABLE = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def describe(char: str) -> str:
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return f"a lone surrogate (U+{code:04X}) that cannot be encoded as UTF-8"
    if code == 0:
        return "a NUL character"
    if code < 0x20:
        return f"a control character (U+{code:04X}) that a device cannot carry"
    return f"a non-character (U+{code:04X}) that a device cannot carry"


def uncarryable(value: Any, path: str = "") -> tuple[str, str] | None:
    """The first string in a JSON value (keys included) a device cannot carry: (field path, why)."""
    if isinstance(value, str):
        found = _UNCARRYABLE.search(value)
        return (path or "body", describe(found.group())) if found else None
    if isinstance(value, dict):
        for key, item in value.items():
            key_text = str(key)
            where = f"{path}.{key_text}" if path else key_text
            if found := _UNCARRYABLE.search(key_text):
                return (f"{path or 'body'} (attribute name {key_text!r})", describe(found.group()))
            if problem := uncarryable(item, where):
                return problem
    if isinstance(value, list):
        for n, item in enumerate(value):
            if problem := uncarryable(item, f"{path}[{n}]"):
                return problem
    return None


def readable(value: Any) -> Any:
    """`value` with every lone surrogate in its strings (keys included) replaced by U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value) if not value.isascii() else value
    if isinstance(value, dict):
        return {readable(k): readable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [readable(v) for v in value]
    return value


def loads(raw: str | bytes) -> Any:
    """`json.loads` for stored JSON columns: lone surrogates come back as U+FFFD (`readable`)."""
    value = json.loads(raw)
    text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
    return readable(value) if "\\ud" in text.lower() or not text.isascii() else value
