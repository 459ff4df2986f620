"""`rom telemetry run|tail`: stream gNMI telemetry into Kafka, and read it (or the alarms) back."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cli.tables import short_id
from core.errors import InvalidRequest, RomError
from core.settings import get_settings
from intent.catalog import did_you_mean

app = typer.Typer(help="Streaming telemetry: gNMI Subscribe -> Kafka, SLA alarms.")


class Stream(StrEnum):
    telemetry = "telemetry"
    alarms = "alarms"


class Format(StrEnum):
    table = "table"
    json = "json"


def _bootstrap(value: str | None) -> str:
    bootstrap = value or get_settings().kafka_bootstrap
    if not bootstrap:
        raise InvalidRequest("no Kafka broker: set ROM_KAFKA_BOOTSTRAP or pass --bootstrap")
    return bootstrap


def _rules(path: Path, ctx: Any) -> list[Any]:
    from telemetry.sla_rules import rules_from_yaml

    try:
        rules = rules_from_yaml(path.read_text())
    except (OSError, ValueError) as exc:
        raise InvalidRequest(f"--rules {path}: {exc}") from None
    with ctx.sessions() as session:
        for rule in rules:
            if problem := _unmatched(session, rule):
                raise InvalidRequest(f"--rules {path}: rule {rule.name}: {problem}")
    return rules


def _unmatched(session: Any, rule: Any) -> str | None:
    """Why `rule` can never act as meant on this inventory, or None."""
    from sqlalchemy import select

    from inventory.records import Device, Resource

    if rule.resource is not None and session.get(Resource, rule.resource) is None:
        ids = list(session.scalars(select(Resource.id)))
        hint = did_you_mean(rule.resource, ids)
        return f"resource {rule.resource!r} is not in the inventory{hint}; `rom inventory show` lists them"
    if rule.device is not None and session.get(Device, rule.device) is None:
        known = list(session.scalars(select(Device.name)))
        return f"device {rule.device!r} is not in the inventory{did_you_mean(rule.device, known)}"
    if rule.resource is None and "{resource}" in json.dumps(rule.corrective_order or {}):
        return (
            "its corrective order names {resource}, so the rule needs `resource:` (the inventory id of "
            "the resource to correct); without it every resource reporting the metric raises its own alarm"
        )
    return None


@app.command()
def run(
    bootstrap: Annotated[
        str | None, typer.Option(help="Kafka bootstrap (default: ROM_KAFKA_BOOTSTRAP).")
    ] = None,
    topic: Annotated[str, typer.Option(help="Telemetry topic.")] = "rom.telemetry",
    metrics_port: Annotated[
        int, typer.Option(help="Prometheus /metrics port of the collector (0: off).")
    ] = 9108,
    sample_interval: Annotated[
        float | None, typer.Option(help="Override every SAMPLE interval (seconds).")
    ] = None,
    inventory_interval: Annotated[float, typer.Option(help="Re-read the inventory every N seconds.")] = 10.0,
    buffer: Annotated[
        int, typer.Option(help="Events buffered while Kafka is away (overflow is counted).")
    ] = 200_000,
    rules: Annotated[
        Path | None, typer.Option(help="SLA rules YAML (docs/sla.md): also run the SLA monitor.")
    ] = None,
    cluster: Annotated[
        bool,
        typer.Option(help="Share the devices with the other --cluster collectors on this database."),
    ] = False,
    cluster_ttl: Annotated[
        float, typer.Option(help="A silent collector's devices move to the others after N seconds.")
    ] = 6.0,
) -> None:
    """Subscribe to every inventory device (and resource KPIs) and publish to Kafka until Ctrl-C."""
    from drivers.grpc_tls import GrpcTls
    from inventory.context import Context
    from inventory.records import Device  # noqa: F401 - registers the tables
    from telemetry.cluster import Membership
    from telemetry.runner import RunOptions, run_telemetry
    from telemetry.subscriptions import from_inventory

    logging.getLogger("telemetry").setLevel(logging.INFO)
    settings = get_settings()
    ctx = Context.create(settings)

    def inventory() -> Any:
        with ctx.sessions() as session:
            return from_inventory(session)

    loaded = _rules(rules, ctx) if rules else ()  # before Kafka: a bad rule is the first thing said
    options = RunOptions(
        bootstrap=_bootstrap(bootstrap),
        topic=topic,
        metrics_port=metrics_port or None,
        inventory_interval_s=inventory_interval,
        sample_interval_s=sample_interval,
        buffer_events=buffer,
        username=settings.device_username,
        password=settings.device_password.get_secret_value(),
        rules=loaded,
        api_url=settings.api_url,
        api_key=settings.api_key.get_secret_value() if settings.api_key else None,
        tls=GrpcTls.of(settings),
    )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await run_telemetry(options, inventory, stop, membership)

    if cluster_ttl <= 0:
        raise InvalidRequest("--cluster-ttl must be > 0")
    membership = Membership(ctx.transaction, ttl_s=cluster_ttl) if cluster else None
    shared = f" as cluster member {membership.me}" if membership else ""
    Console(stderr=True).print(f"telemetry -> {options.bootstrap} topic {topic}{shared}; Ctrl-C stops")
    asyncio.run(main())


def _row(stream: Stream, body: dict[str, Any]) -> list[str]:
    if stream is Stream.alarms:
        return [
            str(body.get("raisedTime") if body.get("state") == "raised" else body.get("clearedTime")),
            str(body.get("alarmId")),
            str(body.get("state")),
            str(body.get("perceivedSeverity")),
            short_id(body.get("resource")) or str(body.get("device")),
            str(body.get("specificProblem")),
            str(body.get("value")),
        ]
    tags = {
        k: v
        for k, v in (body.get("tags") or {}).items()
        if k not in ("source", "subscription-name", "resource")
    }
    values = ", ".join(f"{k.rsplit('/', 1)[-1]}={v}" for k, v in (body.get("values") or {}).items())
    return [
        _clock(body.get("timestamp")),
        str(body.get("device")),
        str(body.get("name")),
        short_id(body.get("resource")),
        " ".join(f"{k}={v}" for k, v in tags.items()),
        values[:160],
    ]


def _clock(ns: Any) -> str:
    """A telemetry timestamp (ns since the epoch) as UTC `HH:MM:SS.mmm`."""
    try:
        return datetime.fromtimestamp(int(ns) / 1e9, tz=UTC).strftime("%H:%M:%S.%f")[:-3]
    except (TypeError, ValueError, OverflowError):
        return str(ns)


HEADERS = {
    Stream.telemetry: ["time (UTC)", "device", "subscription", "resource", "keys", "values"],
    Stream.alarms: ["time", "alarm", "state", "severity", "subject", "problem", "value"],
}


@app.command()
def tail(
    stream: Annotated[Stream, typer.Argument(help="What to read.")] = Stream.telemetry,
    bootstrap: Annotated[
        str | None, typer.Option(help="Kafka bootstrap (default: ROM_KAFKA_BOOTSTRAP).")
    ] = None,
    topic: Annotated[str | None, typer.Option(help="Topic (default: rom.telemetry / rom.alarms).")] = None,
    fmt: Annotated[
        Format, typer.Option("--format", help="A rich table per batch, or JSON lines.")
    ] = Format.table,
    from_beginning: Annotated[bool, typer.Option(help="Start at the oldest message.")] = False,
    limit: Annotated[int, typer.Option(help="Stop after N messages (0: never).")] = 0,
    device: Annotated[str | None, typer.Option(help="Only this device.")] = None,
) -> None:
    """Print `rom.telemetry` or `rom.alarms` as they arrive."""
    from aiokafka import AIOKafkaConsumer
    from aiokafka.errors import KafkaError

    name = topic or ("rom.telemetry" if stream is Stream.telemetry else "rom.alarms")
    console = Console()

    async def main() -> None:
        servers = _bootstrap(bootstrap)
        consumer = AIOKafkaConsumer(
            name,
            bootstrap_servers=servers,
            auto_offset_reset="earliest" if from_beginning else "latest",
            isolation_level="read_committed",  # the outbox topics are written in transactions
        )
        try:
            await consumer.start()
        except KafkaError as exc:
            await consumer.stop()
            raise RomError(
                f"cannot reach Kafka at {servers} ({exc}); start a broker "
                "(`python -m lab.kafka_broker start --data-dir var/kafka`) or set ROM_KAFKA_BOOTSTRAP"
            ) from None
        seen = 0
        try:
            while not limit or seen < limit:
                batch = await consumer.getmany(timeout_ms=1000)
                rows = []
                for records in batch.values():
                    for record in records:
                        body = json.loads(record.value or b"{}")
                        if device and body.get("device") != device:
                            continue
                        seen += 1
                        if fmt is Format.json:
                            typer.echo(json.dumps(body, separators=(",", ":")))
                        else:
                            rows.append(_row(stream, body))
                        if limit and seen >= limit:
                            break
                if rows:
                    table = Table(*HEADERS[stream], show_lines=False)
                    for row in rows:
                        table.add_row(*(escape(cell) for cell in row))
                    console.print(table)
        finally:
            await consumer.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
