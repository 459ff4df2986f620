"""SLA rules over telemetry events (pure): "latency > 15 ms for 10 minutes" raises an alarm,
"back under for ``clear_for_s``" clears it. Time is the events' own timestamps, so the evaluation
is deterministic and testable with windows of a second."""

from __future__ import annotations

import hashlib
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from telemetry.events import Event, as_number

OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}

META = frozenset({"source", "subscription-name", "resource"})  # event tags that are not list keys


@dataclass(frozen=True)
class Rule:
    """Alarm when ``metric`` (a value path suffix, e.g. ``kpis/slice/latency``) ``op`` ``threshold``
    holds for ``for_s`` seconds on one subject (the event's resource, else its device)."""

    name: str
    metric: str
    op: str
    threshold: float
    for_s: float
    clear_for_s: float | None = None  # default: for_s
    resource: str | None = None  # only this resource
    device: str | None = None  # only this device
    tags: Mapping[str, str] | None = None  # only events with these tags (e.g. a slice's list keys)
    severity: str = "major"
    corrective_order: Mapping[str, Any] | None = None  # TMF652 ResourceOrderCreate template

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"rule {self.name}: op must be one of {sorted(OPS)}")
        for name, least in (("threshold", -math.inf), ("for_s", 0.0), ("clear_for_s", 0.0)):
            value = getattr(self, name)
            if value is None and name == "clear_for_s":
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or value < least:
                shown = name.removesuffix("_s")
                raise ValueError(
                    f"rule {self.name}: {shown} must be a number" + (" >= 0" if least == 0 else "")
                )
            object.__setattr__(self, name, float(value))
        for name in ("tags", "corrective_order"):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), Mapping):
                raise ValueError(f"rule {self.name}: {name} must be a mapping")

    def applies(self, event: Event) -> bool:
        return (
            (self.resource is None or event.resource == self.resource)
            and (self.device is None or event.device == self.device)
            and all(event.tags.get(key) == str(value) for key, value in (self.tags or {}).items())
        )


@dataclass
class Alarm:
    """One alarm, raised and later cleared (same ``alarm_id``)."""

    alarm_id: str
    rule: Rule
    subject: str
    device: str
    resource: str | None
    metric: str
    value: float
    raised_ns: int
    keys: dict[str, str] = field(default_factory=dict)  # the list keys of the value (e.g. the slice)
    cleared_ns: int | None = None
    corrective: dict[str, Any] | None = None  # what ROM's API answered to the corrective order

    @property
    def state(self) -> str:
        return "cleared" if self.cleared_ns is not None else "raised"

    def to_dict(self) -> dict[str, Any]:
        """The ``rom.alarms`` message (TMF642-flavoured; see docs/events.md)."""
        rule = self.rule
        return {
            "alarmId": self.alarm_id,
            "state": self.state,
            "alarmType": "QualityOfServiceAlarm",
            "perceivedSeverity": "cleared" if self.cleared_ns is not None else rule.severity,
            "probableCause": "thresholdCrossed",
            "specificProblem": f"{rule.name}: {self.metric} {rule.op} {rule.threshold:g} for {rule.for_s:g}s",
            "rule": rule.name,
            "resource": self.resource,
            "device": self.device,
            "metric": self.metric,
            "keys": self.keys,
            "value": self.value,
            "threshold": rule.threshold,
            "op": rule.op,
            "forSeconds": rule.for_s,
            "raisedTime": iso(self.raised_ns),
            "clearedTime": iso(self.cleared_ns) if self.cleared_ns is not None else None,
            "correctiveOrder": self.corrective,
        }

    def to_tmf642(self, resource_path: str, alarmed_id: str) -> dict[str, Any]:
        """The TMF642 Alarm_Create body of this alarm, on the TMF639 resource `alarmed_id`."""
        rule = self.rule
        return {
            "externalAlarmId": self.alarm_id,
            "alarmType": "qualityOfServiceAlarm",
            "perceivedSeverity": rule.severity,
            "probableCause": "thresholdCrossed",
            "specificProblem": f"{rule.name}: {self.metric} {rule.op} {rule.threshold:g} for {rule.for_s:g}s",
            "alarmedObject": {
                "id": alarmed_id,
                "href": f"{resource_path}/{alarmed_id}",
                "@referredType": "Resource",
            },
            "alarmedObjectType": "Resource",
            "sourceSystemId": "rom-sla",
            "alarmRaisedTime": iso(self.raised_ns),
            "isRootCause": True,
            "crossedThresholdInformation": {
                "threshold": {"id": rule.name, "name": rule.name},
                "direction": "up" if rule.op in (">", ">=") else "down",
                "indicatorName": self.metric,
                "observedValue": f"{self.value:g}",
                "thresholdCrossingDescription": f"{self.metric} {rule.op} {rule.threshold:g}",
            },
        }


def iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class _Track:
    breach_since: int | None = None
    ok_since: int | None = None
    alarm: Alarm | None = None


@dataclass
class SlaEvaluator:
    """Feed events in timestamp order per subject; get alarms raised and cleared."""

    rules: list[Rule]
    # (rule, subject, value path with its list keys) -> where that value stands
    _tracks: dict[tuple[str, str, str], _Track] = field(default_factory=dict)

    @property
    def active(self) -> list[Alarm]:
        return [t.alarm for t in self._tracks.values() if t.alarm is not None]

    def observe(self, event: Event) -> list[Alarm]:
        """Alarms whose state changed with this event (raised, or cleared)."""
        changed: list[Alarm] = []
        for rule in self.rules:
            if not rule.applies(event):
                continue
            suffix = "/" + rule.metric.strip("/")
            for path, raw in event.values.items():
                if not path.endswith(suffix):
                    continue
                value = as_number(raw)
                if value is None:
                    continue
                subject = event.resource or event.device
                where = path + "".join(f"[{k}={v}]" for k, v in sorted(event.tags.items()) if k not in META)
                track = self._tracks.setdefault((rule.name, subject, where), _Track())
                alarm = _step(rule, track, subject, event, path, where, value)
                if alarm is not None:
                    changed.append(alarm)
        return changed


def _step(
    rule: Rule, track: _Track, subject: str, event: Event, path: str, where: str, value: float
) -> Alarm | None:
    now = event.timestamp
    if OPS[rule.op](value, rule.threshold):
        track.ok_since = None
        track.breach_since = track.breach_since if track.breach_since is not None else now
        if track.alarm is None and now - track.breach_since >= rule.for_s * 1e9:
            digest = hashlib.sha1(f"{rule.name}|{subject}|{where}|{now}".encode()).hexdigest()[:16]
            keys = {k: v for k, v in event.tags.items() if k not in META}
            track.alarm = Alarm(digest, rule, subject, event.device, event.resource, path, value, now, keys)
            return track.alarm
        return None
    track.breach_since = None
    track.ok_since = track.ok_since if track.ok_since is not None else now
    clear_s = rule.for_s if rule.clear_for_s is None else rule.clear_for_s
    if track.alarm is not None and now - track.ok_since >= clear_s * 1e9:
        alarm, track.alarm = track.alarm, None
        alarm.cleared_ns, alarm.value = now, value
        return alarm
    return None


def fill(template: Any, values: Mapping[str, Any]) -> Any:
    """``{name}`` placeholders in every string of a JSON-like template (unknown names stay)."""
    if isinstance(template, str):
        out = template
        for key, value in values.items():
            out = out.replace("{" + key + "}", str(value))
        return out
    if isinstance(template, Mapping):
        return {key: fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(value, values) for value in template]
    return template


def corrective_order(alarm: Alarm) -> dict[str, Any] | None:
    """The TMF652 ResourceOrderCreate body a rule asks for, filled for this alarm."""
    if alarm.rule.corrective_order is None:
        return None
    values = {
        "alarmId": alarm.alarm_id,
        "resource": alarm.resource or "",
        "device": alarm.device,
        "value": f"{alarm.value:g}",
        "rule": alarm.rule.name,
    }
    body: dict[str, Any] = fill(dict(alarm.rule.corrective_order), values)
    body.setdefault("description", f"corrective order for SLA alarm {alarm.alarm_id} ({alarm.rule.name})")
    body.setdefault(
        "externalReference", [{"id": alarm.alarm_id, "externalReferenceType": "Alarm", "name": "rom-sla"}]
    )
    return body


def rules_from_yaml(text: str) -> list[Rule]:
    """Rules from YAML: a list of mappings with Rule's fields (``for`` may stand for ``for_s``)::

    - {name: slice-latency, metric: kpis/slice/latency, op: ">", threshold: 15, for: 600,
       resource: slice-1, corrective_order: {orderItem: [...]}}

    ValueError names the first bad rule and what is wrong with it.
    """
    import yaml

    try:
        entries = yaml.safe_load(text) or []
    except yaml.YAMLError as exc:
        raise ValueError(f"rules are not valid YAML: {exc}".splitlines()[0]) from None
    if not isinstance(entries, list):
        raise ValueError("rules must be a YAML list of rules")
    rules = []
    for number, raw in enumerate(entries, 1):
        if not isinstance(raw, dict):
            raise ValueError(f"rule {number} is not a mapping")
        entry = dict(raw)
        if "for" in entry:
            entry["for_s"] = entry.pop("for")
        if "clear_for" in entry:
            entry["clear_for_s"] = entry.pop("clear_for")
        try:
            rules.append(Rule(**entry))
        except TypeError as exc:
            raise ValueError(f"rule {number}: {str(exc).replace('Rule.__init__() ', '')}") from None
    return rules
