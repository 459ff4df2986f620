"""Normalised telemetry events (pure): gNMI notifications in, gnmic-style events out.

One notification becomes one event per distinct set of list keys, like gnmic's ``event`` format::

    {"name": "<subscription>", "timestamp": <ns>, "device": "pe1", "resource": "r-1" | null,
     "tags": {"source": "pe1", "subscription-name": "<subscription>", "interface_name": "Ethernet1"},
     "values": {"/interfaces/interface/state/counters/in-octets": 40906},
     "deletes": ["/interfaces/interface/state/oper-status"]}          # only when there are deletes

Keys of the path become tags ``<elem>_<key>``; values are keyed by the path without keys. Bad
telemetry (unknown paths, undecodable or structured values, oversized notifications) is dropped
update by update and reported as ``Bad(reason, count)``: it never raises.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pygnmi.spec.v080 import gnmi_pb2

Scalar = str | int | float | bool | None
Tags = dict[str, str]
MAX_UPDATES = 10_000  # per notification: more is "oversized"
MAX_VALUE_BYTES = 64 * 1024


@dataclass
class Event:
    """One normalised telemetry event (see the module docstring for the JSON form)."""

    name: str
    timestamp: int
    device: str
    resource: str | None
    tags: Tags
    values: dict[str, Any] = field(default_factory=dict)
    deletes: list[str] = field(default_factory=list)

    @property
    def updates(self) -> int:
        """How many gNMI updates (values plus deletes) this event carries."""
        return len(self.values) + len(self.deletes)

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "timestamp": self.timestamp,
            "device": self.device,
            "resource": self.resource,
            "tags": self.tags,
            "values": self.values,
        }
        if self.deletes:
            body["deletes"] = self.deletes
        return body

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict(), separators=(",", ":")).encode()

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> Event:
        return cls(
            name=str(body["name"]),
            timestamp=int(body["timestamp"]),
            device=str(body["device"]),
            resource=body.get("resource"),
            tags=dict(body.get("tags") or {}),
            values=dict(body.get("values") or {}),
            deletes=list(body.get("deletes") or []),
        )


@dataclass(frozen=True)
class Bad:
    """Updates dropped from one notification, with why."""

    reason: str  # unknown-path | bad-value | oversized
    count: int


@dataclass(frozen=True)
class Source:
    """Where notifications come from: the device, the subscription, its paths and resource."""

    device: str
    subscription: str
    paths: tuple[str, ...]  # subscribed paths (keys/wildcards allowed), e.g. "interfaces/interface"
    resource: str | None = None


def split_path(path: str) -> list[tuple[str, dict[str, str]]]:
    """``a/b[k=v][x=y]/c`` -> ``[("a", {}), ("b", {"k": "v", "x": "y"}), ("c", {})]``."""
    elems: list[tuple[str, dict[str, str]]] = []
    for raw in _segments(path.strip("/")):
        name, _, rest = raw.partition("[")
        keys: dict[str, str] = {}
        for part in ("[" + rest).split("]") if rest else ():
            if part.startswith("["):
                key, _, value = part[1:].partition("=")
                keys[key] = value
        elems.append((name.split(":", 1)[-1], keys))
    return elems


def _segments(path: str) -> list[str]:
    out, depth, start = [], 0, 0
    for i, char in enumerate(path):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "/" and depth == 0:
            out.append(path[start:i])
            start = i + 1
    if path[start:]:
        out.append(path[start:])
    return [segment for segment in out if segment]


def _elems(prefix: gnmi_pb2.Path | None, path: gnmi_pb2.Path) -> list[tuple[str, dict[str, str]]]:
    elems = list(prefix.elem) if prefix is not None else []
    elems.extend(path.elem)
    return [(elem.name.split(":", 1)[-1], dict(elem.key)) for elem in elems]


def matches(
    pattern: Sequence[tuple[str, dict[str, str]]], elems: Sequence[tuple[str, dict[str, str]]]
) -> bool:
    """Whether ``elems`` lies at or under ``pattern`` (``*`` names/keys match anything)."""
    if len(elems) < len(pattern):
        return False
    for (want, want_keys), (name, keys) in zip(pattern, elems, strict=False):
        if want not in ("*", name):
            return False
        for key, value in want_keys.items():
            if value != "*" and keys.get(key) != value:
                return False
    return True


def decode_value(value: gnmi_pb2.TypedValue) -> Scalar | list[Scalar]:
    """A TypedValue as a JSON scalar (or a list for leaf-lists); ValueError for anything else."""
    kind = value.WhichOneof("value")
    if kind in ("json_ietf_val", "json_val"):
        raw = getattr(value, kind)
        if len(raw) > MAX_VALUE_BYTES:
            raise ValueError("value too large")
        decoded = json.loads(raw)
        if isinstance(decoded, dict) or (
            isinstance(decoded, list) and not all(not isinstance(v, dict | list) for v in decoded)
        ):
            raise ValueError("structured value")
        return decoded
    if kind in ("string_val", "int_val", "uint_val", "bool_val", "double_val", "float_val"):
        result: Scalar = getattr(value, kind)
        if isinstance(result, str) and len(result) > MAX_VALUE_BYTES:
            raise ValueError("value too large")
        return result
    if kind == "leaflist_val":
        return [decode_value(item) for item in value.leaflist_val.element]  # type: ignore[misc]
    raise ValueError(f"unsupported value type {kind}")


def _tags(source: Source, elems: Sequence[tuple[str, dict[str, str]]]) -> Tags:
    tags = {"source": source.device, "subscription-name": source.subscription}
    if source.resource:
        tags["resource"] = source.resource
    for name, keys in elems:
        for key, value in keys.items():
            tags[f"{name}_{key}"] = value
    return tags


def _key_path(elems: Iterable[tuple[str, dict[str, str]]]) -> str:
    return "/" + "/".join(name for name, _keys in elems)


Resolved = tuple[Tags, tuple[tuple[str, str], ...], str]  # tags, their group key, value key
_CACHE: dict[tuple[tuple[str, ...], bytes, bytes], Resolved | None] = {}
_CACHE_MAX = 200_000


def _resolve(source: Source, prefix: gnmi_pb2.Path | None, path: gnmi_pb2.Path) -> Resolved | None:
    """Tags and value key of one path, None when it is not under a subscribed path (cached: the
    same paths come back with every sample)."""
    cache_key = (
        (source.device, source.subscription, source.resource or "", *source.paths),
        prefix.SerializeToString() if prefix is not None else b"",
        path.SerializeToString(),
    )
    try:
        return _CACHE[cache_key]
    except KeyError:
        pass
    elems = _elems(prefix, path)
    patterns = [split_path(p) for p in source.paths]
    resolved: Resolved | None = None
    if not patterns or any(matches(pattern, elems) for pattern in patterns):
        tags = _tags(source, elems)
        resolved = (tags, tuple(sorted(tags.items())), _key_path(elems))
    if len(_CACHE) >= _CACHE_MAX:
        _CACHE.clear()
    _CACHE[cache_key] = resolved
    return resolved


class _Grouper:
    """Events of one notification, grouped by tags; a repeated path opens a new event."""

    def __init__(self, source: Source, timestamp: int) -> None:
        self.source, self.timestamp = source, timestamp
        self.events: list[Event] = []
        self._open: dict[tuple[tuple[str, str], ...], Event] = {}

    def event_for(self, resolved: Resolved) -> Event:
        tags, group, key = resolved
        event = self._open.get(group)
        if event is None or key in event.values or key in event.deletes:
            source = self.source
            event = Event(source.subscription, self.timestamp, source.device, source.resource, dict(tags))
            self._open[group] = event
            self.events.append(event)
        return event


def normalise(
    notification: gnmi_pb2.Notification, source: Source, *, max_updates: int = MAX_UPDATES
) -> tuple[list[Event], list[Bad]]:
    """Events of one notification and the updates dropped (by reason)."""
    total = len(notification.update) + len(notification.delete)
    if total > max_updates:
        return [], [Bad("oversized", total)]
    prefix = notification.prefix if notification.HasField("prefix") else None
    grouper = _Grouper(source, notification.timestamp)
    bad: dict[str, int] = {}
    for update in notification.update:
        resolved = _resolve(source, prefix, update.path)
        if resolved is None:
            bad["unknown-path"] = bad.get("unknown-path", 0) + 1
            continue
        try:
            value = decode_value(update.val)
        except (ValueError, RecursionError):
            bad["bad-value"] = bad.get("bad-value", 0) + 1
            continue
        grouper.event_for(resolved).values[resolved[2]] = value
    for path in notification.delete:
        resolved = _resolve(source, prefix, path)
        if resolved is None:
            bad["unknown-path"] = bad.get("unknown-path", 0) + 1
            continue
        grouper.event_for(resolved).deletes.append(resolved[2])
    return grouper.events, [Bad(reason, count) for reason, count in sorted(bad.items())]


def as_number(value: Any) -> float | None:
    """A telemetry value as a float (KPIs arrive as decimal strings, RFC 7951); None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None
