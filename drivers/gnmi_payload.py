"""ROM's gNMI payload: one JSON document per device and SetRequest, built and checked purely.

The document (what a `.json.j2` template renders and `GnmiDriver.stage` takes)::

    {"delete":  [<path>, ...],
     "replace": [{"path": <path>, "value": <JSON_IETF value>}, ...],
     "update":  [{"path": <path>, "value": <JSON_IETF value>}, ...]}

Every section is optional; the device applies them as one transaction in the order delete,
replace, update (gNMI specification 3.4.3). A `<path>` is either gNMI path text
(`/openconfig-qos:qos/interfaces/interface[interface-id=Ethernet1]`, with `\\]` and `\\\\`
escaping inside key values) or, what templates use, a list of elements, each a name or
`{name: {key: value}}`::

    ["openconfig-qos:qos", "interfaces", {"interface": {"interface-id": "Ethernet1"}}]

In the list form key values are data: nothing in them is parsed, so they cannot change the path.
Values are RFC 7951 JSON (module-qualified member names where the namespace changes).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii
from typing import Any, Literal

from pygnmi.spec.v080 import gnmi_pb2

from drivers.errors import InvalidInput

Op = Literal["delete", "replace", "update"]
OPS: tuple[Op, ...] = ("delete", "replace", "update")


@dataclass(frozen=True)
class Change:
    op: Op
    path: gnmi_pb2.Path
    value: Any = None  # None for delete

    @property
    def text(self) -> str:
        return format_path(self.path)


@dataclass(frozen=True)
class SetDocument:
    changes: tuple[Change, ...]

    def of(self, op: Op) -> list[Change]:
        return [c for c in self.changes if c.op == op]

    def merged(self, other: SetDocument) -> SetDocument:
        return SetDocument(self.changes + other.changes)

    def touched(self) -> list[gnmi_pb2.Path]:
        """Every path the document writes or deletes, first occurrence order, no duplicates."""
        seen: dict[str, gnmi_pb2.Path] = {}
        for change in self.changes:
            seen.setdefault(change.text, change.path)
        return list(seen.values())


# --- paths -------------------------------------------------------------------------------------


def _split(text: str) -> list[str]:
    """Split at `/` outside `[...]`; `\\` escapes the next character inside brackets."""
    parts: list[str] = []
    current: list[str] = []
    depth, escaped = 0, False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\" and depth:
            current.append(char)
            escaped = True
        elif char == "[" and not depth:
            depth = 1  # inside a key predicate `[` is plain data; only `]` (unescaped) ends it
            current.append(char)
        elif char == "]":
            if not depth:
                raise InvalidInput(f"gNMI path {text!r}: unbalanced ']'")
            depth = 0
            current.append(char)
        elif char == "/" and not depth:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth or escaped:
        raise InvalidInput(f"gNMI path {text!r}: unterminated key predicate")
    parts.append("".join(current))
    return [p for p in parts if p]


def _elem(text: str, whole: str) -> gnmi_pb2.PathElem:
    name, _, rest = text.partition("[")
    if not name:
        raise InvalidInput(f"gNMI path {whole!r}: empty element")
    elem = gnmi_pb2.PathElem(name=name)
    rest = "[" + rest if rest else ""
    while rest:
        key, sep, tail = rest[1:].partition("=")
        if not rest.startswith("[") or not sep or not key:
            raise InvalidInput(f"gNMI path {whole!r}: bad key predicate in {text!r}")
        value: list[str] = []
        i = 0
        while i < len(tail) and tail[i] != "]":
            if tail[i] == "\\" and i + 1 < len(tail):
                i += 1
            value.append(tail[i])
            i += 1
        elem.key[key] = "".join(value)
        rest = tail[i + 1 :]
    return elem


def parse_path(text: str) -> gnmi_pb2.Path:
    """`[origin:]/a/b[k=v]/c` (gNMI path conventions) as a Path."""
    origin = ""
    head = text.split("[", 1)[0]
    if ":/" in head and "/" not in head.split(":/", 1)[0]:
        origin, text = text.split(":", 1)
    return gnmi_pb2.Path(origin=origin, elem=[_elem(p, text) for p in _split(text)])


def path_from_json(value: Any) -> gnmi_pb2.Path:
    """A document path: text, or the list form (see the module docstring)."""
    if isinstance(value, str):
        return parse_path(value)
    if not isinstance(value, list):
        raise InvalidInput(f"gNMI path must be text or a list, got {type(value).__name__}")
    elems = []
    for item in value:
        if isinstance(item, str) and item:
            elems.append(gnmi_pb2.PathElem(name=item))
        elif isinstance(item, dict) and len(item) == 1:
            ((name, keys),) = item.items()
            if not isinstance(keys, dict) or not all(isinstance(v, str | int) for v in keys.values()):
                raise InvalidInput(f"gNMI path element {item!r}: keys must be {{name: scalar}}")
            elems.append(gnmi_pb2.PathElem(name=name, key={k: str(v) for k, v in keys.items()}))
        else:
            raise InvalidInput(f"gNMI path element {item!r}: a name or {{name: {{key: value}}}}")
    return gnmi_pb2.Path(elem=elems)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("]", "\\]")


def format_path(path: gnmi_pb2.Path) -> str:
    """Text form (keys sorted, values escaped): stable, and `parse_path` reads it back."""
    body = "/" + "/".join(
        e.name + "".join(f"[{k}={_escape(v)}]" for k, v in sorted(e.key.items())) for e in path.elem
    )
    return f"{path.origin}:{body}" if path.origin else body


def parent(path: gnmi_pb2.Path) -> gnmi_pb2.Path | None:
    """The path one element up (None for the root)."""
    if not path.elem:
        return None
    return gnmi_pb2.Path(origin=path.origin, elem=list(path.elem)[:-1])


# --- documents ---------------------------------------------------------------------------------


def parse_document(text: str) -> SetDocument:
    """Validate a payload document; InvalidInput says what is wrong. Nothing is sent."""
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise InvalidInput(f"gNMI payload is not JSON: {e}") from None
    if not isinstance(doc, dict):
        raise InvalidInput("gNMI payload must be a JSON object")
    unknown = sorted(set(doc) - set(OPS))
    if unknown:
        raise InvalidInput(f"gNMI payload: unknown section(s) {', '.join(unknown)} (allowed: {OPS})")
    changes: list[Change] = []
    for op in OPS:
        entries = doc.get(op, [])
        if not isinstance(entries, list):
            raise InvalidInput(f"gNMI payload: {op!r} must be a list")
        for entry in entries:
            if op == "delete":
                changes.append(Change(op, path_from_json(entry)))
                continue
            if not isinstance(entry, dict) or set(entry) != {"path", "value"}:
                raise InvalidInput(f"gNMI payload: each {op!r} entry is {{path, value}}, got {entry!r}")
            changes.append(Change(op, path_from_json(entry["path"]), entry["value"]))
    if not changes:
        raise InvalidInput("gNMI payload changes nothing")
    return SetDocument(tuple(changes))


def document_json(doc: SetDocument) -> dict[str, Any]:
    """The document with text paths (canonical form, e.g. for golden files and logs)."""
    out: dict[str, Any] = {}
    for c in doc.changes:
        entry: Any = c.text if c.op == "delete" else {"path": c.text, "value": c.value}
        out.setdefault(c.op, []).append(entry)
    return out


def typed_value(value: Any, json_ietf: bool) -> gnmi_pb2.TypedValue:
    data = json.dumps(value, separators=(",", ":")).encode()
    return gnmi_pb2.TypedValue(json_ietf_val=data) if json_ietf else gnmi_pb2.TypedValue(json_val=data)


def set_request(doc: SetDocument, json_ietf: bool = True) -> gnmi_pb2.SetRequest:
    def updates(op: Op) -> list[gnmi_pb2.Update]:
        return [gnmi_pb2.Update(path=c.path, val=typed_value(c.value, json_ietf)) for c in doc.of(op)]

    return gnmi_pb2.SetRequest(
        delete=[c.path for c in doc.of("delete")], replace=updates("replace"), update=updates("update")
    )


# --- pre-image, restore and diff ---------------------------------------------------------------


@dataclass(frozen=True)
class PreImage:
    """What a device held before a change: the value at each touched path that existed, and for
    each one that did not, the highest ancestor that did not exist either (restore deletes it)."""

    values: tuple[tuple[gnmi_pb2.Path, Any], ...]
    absent: tuple[gnmi_pb2.Path, ...]

    def value_at(self, path: gnmi_pb2.Path) -> Any:
        text = format_path(path)
        return next((v for p, v in self.values if format_path(p) == text), None)


def restore_request(pre: PreImage, json_ietf: bool = True) -> gnmi_pb2.SetRequest:
    """The SetRequest that puts every touched path back: delete what was created, replace the
    rest with its old value (deletes apply first, so a restored ancestor wins)."""
    deletes: dict[str, gnmi_pb2.Path] = {format_path(p): p for p in pre.absent}
    replace = [gnmi_pb2.Update(path=p, val=typed_value(v, json_ietf)) for p, v in pre.values]
    return gnmi_pb2.SetRequest(delete=list(deletes.values()), replace=replace)


def merge_json(base: Any, change: Any) -> Any:
    """gNMI update semantics on JSON: objects merge member by member, anything else replaces."""
    if isinstance(base, dict) and isinstance(change, dict):
        out = dict(base)
        for key, value in change.items():
            out[key] = merge_json(out.get(key), value)
        return out
    return change


def would_be(doc: SetDocument, before: dict[str, Any]) -> dict[str, Any]:
    """Each touched path's value after `doc` (None: absent), from `before` (path text -> value).

    Approximation for overlapping paths: each path is computed from its own pre-image."""
    after = dict(before)
    for change in doc.changes:
        if change.op == "delete":
            after[change.text] = None
        elif change.op == "replace":
            after[change.text] = change.value
        else:
            after[change.text] = merge_json(after.get(change.text), change.value)
    return after


def _pretty(value: Any) -> list[str]:
    """`json.dumps(value, indent=2, sort_keys=True)`'s lines, built without its pure-Python
    encoder (the one json uses whenever `indent` is set); scalars go through the C encoder."""
    if value is None:
        return []
    out: list[str] = []
    _pretty_into(value, "\n", out)
    return "".join(out).splitlines(keepends=True)


def _pretty_into(value: Any, newline: str, out: list[str]) -> None:
    """Append `value` as `json.dumps(indent=2, sort_keys=True)` writes it after `newline` (a
    line break and the current indent)."""
    kind = type(value)
    if kind is str:
        out.append(encode_basestring_ascii(value))
    elif kind is dict and value:
        if not all(type(k) is str for k in value):  # json's key coercions: leave them to json
            out.append(json.dumps(value, indent=2, sort_keys=True).replace("\n", newline))
            return
        inner = newline + "  "
        head = "{" + inner
        for key in sorted(value):
            out.append(head + encode_basestring_ascii(key) + ": ")
            _pretty_into(value[key], inner, out)
            head = "," + inner
        out.append(newline + "}")
    elif (kind is list or kind is tuple) and value:
        inner = newline + "  "
        head = "[" + inner
        for item in value:
            out.append(head)
            _pretty_into(item, inner, out)
            head = "," + inner
        out.append(newline + "]")
    elif kind is int or kind is float or kind is bool or value is None:
        out.append(json.dumps(value))
    else:  # empty containers, subclasses: as json writes them
        out.append(json.dumps(value, indent=2, sort_keys=True).replace("\n", newline))


def unified_json_diff(before: dict[str, Any], after: dict[str, Any]) -> str:
    """One unified diff per path whose value changes; empty when nothing does."""
    chunks: list[str] = []
    for path in after:
        old, new = _pretty(before.get(path)), _pretty(after[path])
        if old != new:
            chunks.extend(difflib.unified_diff(old, new, f"a{path}", f"b{path}"))
    return "".join(line if line.endswith("\n") else line + "\n" for line in chunks)


# --- read-back comparison ----------------------------------------------------------------------


def bare_name(name: str) -> str:
    """A JSON member name (or identity) without its module prefix (RFC 7951 `module:name`)."""
    return name.rsplit(":", 1)[-1]


def scalar_text(value: Any) -> str:
    """A JSON scalar as text, as leaves compare (`true`, `42`, identities without prefix)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return bare_name(str(value)) if isinstance(value, str) else str(value)


def missing_or_changed(intended: Any, actual: Any, where: str = "") -> Iterable[tuple[str, str]]:
    """(kind, path) for every leaf of `intended` that `actual` lacks or holds differently.

    Member names and identities compare without module prefixes; scalars compare as text (RFC 7951
    writes 64-bit numbers as strings); list entries match when one holds all the intended leaves.
    Extra content in `actual` is not reported (devices add defaults)."""
    if isinstance(intended, dict):
        have = {bare_name(k): v for k, v in actual.items()} if isinstance(actual, dict) else {}
        for key, value in intended.items():
            name = bare_name(key)
            if name not in have:
                yield "missing", f"{where}/{name}"
            else:
                yield from missing_or_changed(value, have[name], f"{where}/{name}")
    elif isinstance(intended, list):
        entries = actual if isinstance(actual, list) else [actual]
        for i, want in enumerate(intended):
            if not any(not list(missing_or_changed(want, have)) for have in entries):
                yield "missing", f"{where}[{i}]"
    elif actual is None or scalar_text(intended) != scalar_text(actual):
        yield ("missing" if actual is None else "changed"), where or "/"
