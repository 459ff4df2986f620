"""Kafka broker configuration: KRaft properties, logging, the java command, the jars (fetched once)."""

from __future__ import annotations

import base64
import logging
import os
import subprocess
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

from core.errors import RomError

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
KAFKA_SCRIPT = REPO / "scripts" / "tools" / "kafka.sh"
HOST = "127.0.0.1"
DEFAULT_HEAP_MB = 512


class BrokerError(RomError):
    """The local Kafka broker could not be fetched, started or stopped."""


def kafka_libdir(*, fetch: bool = True) -> Path:
    """The directory holding the broker's jars: ``$ROM_KAFKA_LIBDIR``, else the cached fetch.

    With ``fetch`` the jars are resolved from Maven Central on first use (``kafka.sh fetch``, about
    15 s cold); without it a missing cache raises :class:`BrokerError`.
    """
    override = os.environ.get("ROM_KAFKA_LIBDIR")
    if override:
        path = Path(override)
        if not any(path.glob("kafka_2.13-*.jar")):
            raise BrokerError(f"ROM_KAFKA_LIBDIR={override} holds no kafka_2.13 jar")
        return path
    if not KAFKA_SCRIPT.is_file():
        raise BrokerError(f"{KAFKA_SCRIPT} is missing: set ROM_KAFKA_LIBDIR to a directory of Kafka jars")
    proc = subprocess.run(
        ["bash", str(KAFKA_SCRIPT), "fetch" if fetch else "libdir"],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise BrokerError(f"kafka.sh failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return Path(proc.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------ pure config parts


def new_cluster_id() -> str:
    """A Kafka cluster id: a random UUID in Kafka's URL-safe base64 form (what ``random-uuid`` prints).

    Like Kafka's own ``Uuid.randomUuid``, never one that starts with ``-``: the storage tool would
    read it as an option (1 in 64 ids did, and the broker then failed to format its storage).
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode("ascii")
        if not cluster_id.startswith("-"):
            return cluster_id


def build_server_properties(
    data_dir: Path, port: int, controller_port: int, extra: Mapping[str, str] | None = None
) -> str:
    """The KRaft ``server.properties`` of a single combined broker+controller node on loopback."""
    props: dict[str, str] = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@{HOST}:{controller_port}",
        "listeners": f"PLAINTEXT://{HOST}:{port},CONTROLLER://{HOST}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{HOST}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(data_dir / "kafka-data"),
        "num.partitions": "1",
        "auto.create.topics.enable": "true",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "4",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "4",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
    }
    props.update(extra or {})
    lines = ["# Written by lab/kafka_broker.py; rewritten on every start."]
    lines += [f"{key}={value}" for key, value in props.items()]
    return "\n".join(lines) + "\n"


def build_log4j2_properties(data_dir: Path) -> str:
    """log4j2 config: INFO to ``server.log`` in the data directory, rolled by size."""
    log_file = data_dir / "server.log"
    return "\n".join(
        [
            "status = warn",
            "appender.file.type = RollingFile",
            "appender.file.name = FILE",
            f"appender.file.fileName = {log_file}",
            f"appender.file.filePattern = {log_file}.%i",
            "appender.file.layout.type = PatternLayout",
            "appender.file.layout.pattern = [%d] %p %m (%c)%n",
            "appender.file.policies.type = Policies",
            "appender.file.policies.size.type = SizeBasedTriggeringPolicy",
            "appender.file.policies.size.size = 20MB",
            "appender.file.strategy.type = DefaultRolloverStrategy",
            "appender.file.strategy.max = 3",
            "rootLogger.level = INFO",
            "rootLogger.appenderRef.file.ref = FILE",
            "logger.state.name = state.change.logger",
            "logger.state.level = WARN",
            "",
        ]
    )


def java_command(java: str, lib_dir: Path, data_dir: Path, heap_mb: int, main: Sequence[str]) -> list[str]:
    """``java`` with Kafka's usual G1 flags, a small heap and the jars on the class path."""
    return [
        java,
        f"-Xmx{heap_mb}m",
        f"-Xms{min(heap_mb, 128)}m",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-XX:InitiatingHeapOccupancyPercent=35",
        "-XX:+ExplicitGCInvokesConcurrent",
        "-XX:+ExitOnOutOfMemoryError",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={data_dir / 'log4j2.properties'}",
        f"-Dkafka.logs.dir={data_dir}",
        "-cp",
        f"{lib_dir}/*",
        *main,
    ]


# ------------------------------------------------------------------------------- wire-level probe
