"""The slices' KPIs over the last minutes, read back from the `rom.telemetry` topic (what
`rom telemetry run` publishes), and the SLA rules they are judged by.

A read takes every partition (no consumer group, nothing committed), seeks to the first offset at
or after `now - minutes` and reads up to the end offsets seen at the start (at most `MAX_EVENTS`,
at most `READ_SECONDS`). Without `ROM_KAFKA_BOOTSTRAP` there is nothing to read.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from core.errors import RomError
from telemetry.publish import TOPIC
from telemetry.sla_rules import Rule, rules_from_yaml

MAX_EVENTS = 20_000
READ_SECONDS = 5.0
KPI_MARK = "/kpis/"  # value paths of KPIs (the 3GPP models' kpis containers)
IDENTIFIERS = frozenset({"sst", "sd"})  # leaves under kpis/ that name a slice rather than measure it
NOT_KEYS = frozenset({"source", "subscription-name", "resource"})  # event tags that are not list keys


@dataclass
class Series:
    resource: str
    metric: str  # the value path
    keys: tuple[tuple[str, str], ...] = ()  # the list keys of the entry (e.g. the slice's sst and sd)
    points: list[tuple[float, float]] = field(default_factory=list)  # (unix seconds, value)


Found = dict[tuple[str, str, tuple[tuple[str, str], ...]], Series]


async def _read(bootstrap: str, since_ms: int, resources: Collection[str]) -> Found:
    consumer = AIOKafkaConsumer(TOPIC, bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()  # without a group: every partition of the topic is ours, nothing committed
    out: Found = {}
    try:
        partitions = sorted(consumer.assignment(), key=lambda tp: tp.partition)
        if not partitions:
            return out
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.offsets_for_times({tp: since_ms for tp in partitions})
        todo = {}
        for tp in partitions:
            found = starts.get(tp)
            if found is None or found.offset >= ends[tp]:
                continue
            consumer.seek(tp, found.offset)
            todo[tp] = ends[tp]
        seen, deadline = 0, time.monotonic() + READ_SECONDS
        while todo and seen < MAX_EVENTS and time.monotonic() < deadline:
            batches = await consumer.getmany(*todo, timeout_ms=200, max_records=2000)
            for tp, records in batches.items():
                for record in records:
                    seen += 1
                    _add(out, record.value, resources)
                    if record.offset + 1 >= todo.get(tp, 0):
                        todo.pop(tp, None)
    finally:
        await consumer.stop()
    return out


def _add(out: Found, value: bytes | None, resources: Collection[str]) -> None:
    try:
        event = json.loads(value or b"")
        resource, stamp, values = event.get("resource"), event["timestamp"], event.get("values") or {}
        keys = tuple(
            sorted((str(k), str(v)) for k, v in (event.get("tags") or {}).items() if k not in NOT_KEYS)
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return  # not a telemetry event: the chart is a view, it skips what it cannot read
    if resource not in resources:
        return
    for path, raw in values.items():
        if KPI_MARK not in path or path.rsplit("/", 1)[-1] in IDENTIFIERS:
            continue
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            continue
        try:
            number = float(raw)  # JSON-encoded gNMI values may come as text
        except ValueError:
            continue
        series = out.setdefault((resource, path, keys), Series(resource, path, keys))
        series.points.append((stamp / 1e9, number))


def recent_kpis(bootstrap: str | None, minutes: float, resources: Collection[str]) -> list[Series]:
    """Each slice resource's KPI series over the last `minutes`, oldest point first."""
    if not bootstrap or not resources:
        return []
    since_ms = int((time.time() - minutes * 60) * 1000)
    try:
        found = asyncio.run(_read(bootstrap, since_ms, set(resources)))
    except Exception as exc:  # noqa: BLE001 - any Kafka client failure: the page says so
        raise RomError(f"telemetry could not be read from Kafka at {bootstrap}: {exc}") from None
    for series in found.values():
        series.points.sort()
    return sorted(found.values(), key=lambda s: (s.resource, s.metric, s.keys))


def load_rules(path: Path | None) -> list[Rule]:
    """The SLA rules `rom telemetry run --rules` uses (ROM_CONSOLE_SLA_RULES), or none."""
    if path is None or not path.is_file():
        return []
    try:
        return rules_from_yaml(path.read_text())
    except (OSError, ValueError) as exc:
        raise RomError(f"SLA rules in {path}: {exc}") from None


def rule_for(rules: list[Rule], series: Series) -> Rule | None:
    keys = dict(series.keys)
    return next(
        (
            r
            for r in rules
            if series.metric.endswith(r.metric)
            and r.resource in (None, series.resource)
            and all(keys.get(k) == str(v) for k, v in (r.tags or {}).items())
        ),
        None,
    )
