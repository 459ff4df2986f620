"""A real single-node Apache Kafka broker (KRaft, loopback) for the lab, the tests and the demo.

The jars come from Maven Central through ``scripts/tools/kafka.sh fetch`` (cached under
``${ROM_TOOLS_DIR:-~/.cache/rom-tools}``); this module writes a minimal KRaft configuration into a
data directory, formats the storage once, runs ``java -cp <jars> kafka.Kafka`` and waits until the
broker answers a Metadata request with itself registered. Everything the broker writes stays in the
data directory::

    data_dir/server.properties   the KRaft config (broker + controller in one process)
    data_dir/log4j2.properties   logging config
    data_dir/server.log          the broker's log (rolled at 20 MB, 3 kept)
    data_dir/console.log         the JVM's stdout/stderr
    data_dir/kafka-data/         topic partitions and the KRaft metadata log
    data_dir/broker.json         ports, cluster id, pid, bootstrap (kept across restarts)
    data_dir/broker.pid          pid while running

A restart with the same data directory keeps the messages and, when ``port`` is 0, the same ports
(so clients can reconnect to the same bootstrap). ``python -m lab.kafka_broker start|stop|status
--data-dir DIR`` runs it in the background for the demo and the lab.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType

from lab.kafka_config import (
    DEFAULT_HEAP_MB,
    HOST,
    BrokerError,
    build_log4j2_properties,
    build_server_properties,
    java_command,
    kafka_libdir,
    new_cluster_id,
)
from lab.kafka_process import (
    free_port,
    is_broker_of,
    pid_alive,
    port_is_free,
    probe_metadata,
    read_cluster_id,
    rss_bytes,
    tail,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BrokerState:
    """What ``broker.json`` in the data directory records."""

    port: int
    controller_port: int
    cluster_id: str
    pid: int | None = None

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.port}"


class KafkaBroker:
    """One Kafka process (KRaft, broker+controller) on loopback, its state in ``data_dir``.

    ``port=0`` reuses the port of the previous run in the same data directory (or picks a free one
    the first time). ``start()`` returns once a client can fetch metadata; ``stop()`` sends SIGTERM,
    waits, and SIGKILLs after the timeout. Use it as a context manager for tests.
    """

    def __init__(
        self,
        data_dir: Path,
        port: int = 0,
        *,
        heap_mb: int | None = None,
        lib_dir: Path | None = None,
        java: str | None = None,
        extra_properties: Mapping[str, str] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.requested_port = port
        self.heap_mb = heap_mb or int(os.environ.get("ROM_KAFKA_HEAP_MB", DEFAULT_HEAP_MB))
        self.lib_dir = lib_dir
        self.java = java
        self.extra_properties = dict(extra_properties or {})
        self.state: BrokerState | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._pid: int | None = None

    # -- paths and state -------------------------------------------------------------------------
    @property
    def state_file(self) -> Path:
        return self.data_dir / "broker.json"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "broker.pid"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    @property
    def console_file(self) -> Path:
        return self.data_dir / "console.log"

    @property
    def bootstrap(self) -> str:
        """``127.0.0.1:<port>`` for clients (``ROM_KAFKA_BOOTSTRAP``)."""
        if self.state is None:
            raise BrokerError("the broker has not been started")
        return self.state.bootstrap

    @property
    def pid(self) -> int | None:
        return self._pid

    @property
    def running(self) -> bool:
        if self._proc is not None:
            return self._proc.poll() is None
        return self._pid is not None and pid_alive(self._pid)

    def rss_bytes(self) -> int | None:
        return rss_bytes(self._pid) if self._pid is not None and self.running else None

    def read_state(self) -> BrokerState | None:
        try:
            raw = json.loads(self.state_file.read_text())
            return BrokerState(
                port=int(raw["port"]),
                controller_port=int(raw["controller_port"]),
                cluster_id=str(raw["cluster_id"]),
                pid=int(raw["pid"]) if raw.get("pid") else None,
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _write_state(self, state: BrokerState) -> None:
        body = {**asdict(state), "bootstrap": state.bootstrap}
        tmp = self.state_file.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(body, indent=2) + "\n")
        tmp.replace(self.state_file)

    def running_pid(self) -> int | None:
        """The pid of a broker already running on this data directory (any process), if any."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if pid_alive(pid) and is_broker_of(pid, self.data_dir) else None

    # -- start -----------------------------------------------------------------------------------
    def _plan_ports(self, previous: BrokerState | None) -> tuple[int, int]:
        port = self.requested_port
        if port == 0 and previous is not None and port_is_free(previous.port):
            port = previous.port
        elif port == 0:
            port = free_port()
        controller = previous.controller_port if previous is not None else 0
        if controller in (0, port) or not port_is_free(controller):
            controller = free_port()
            while controller == port:
                controller = free_port()
        if previous is not None and port != previous.port:
            log.warning("kafka: port %d of the previous run is taken; using %d", previous.port, port)
        return port, controller

    def _format_storage(self, java: str, lib_dir: Path, cluster_id: str) -> None:
        cmd = java_command(
            java,
            lib_dir,
            self.data_dir,
            256,
            [
                "kafka.tools.StorageTool",
                "format",
                "--ignore-formatted",
                "-t",
                cluster_id,
                "-c",
                str(self.data_dir / "server.properties"),
            ],
        )
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise BrokerError(f"kafka storage format failed: {(proc.stdout + proc.stderr).strip()[-2000:]}")

    def start(self, timeout: float = 60.0, *, detach: bool = False) -> None:
        """Write the config, format storage on first use, start the JVM, wait until it serves.

        ``detach`` puts the JVM in its own session so it outlives this process (the CLI uses it).
        """
        if self.running:
            return
        other = self.running_pid()
        if other is not None:
            raise BrokerError(f"a broker (pid {other}) already runs on {self.data_dir}")
        java = self.java or shutil.which("java")
        if java is None:
            raise BrokerError("java is not on PATH: Kafka needs a Java 17+ runtime")
        lib_dir = self.lib_dir or kafka_libdir(fetch=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)

        previous = self.read_state()
        meta = self.data_dir / "kafka-data" / "meta.properties"
        cluster_id = read_cluster_id(meta) or new_cluster_id()
        port, controller_port = self._plan_ports(previous)
        (self.data_dir / "server.properties").write_text(
            build_server_properties(self.data_dir, port, controller_port, self.extra_properties)
        )
        (self.data_dir / "log4j2.properties").write_text(build_log4j2_properties(self.data_dir))
        if not meta.exists():
            self._format_storage(java, lib_dir, cluster_id)

        cmd = java_command(
            java,
            lib_dir,
            self.data_dir,
            self.heap_mb,
            ["kafka.Kafka", str(self.data_dir / "server.properties")],
        )
        started = time.monotonic()
        with self.console_file.open("ab") as console:
            self._proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                start_new_session=detach,
            )
        self._pid = self._proc.pid
        self.pid_file.write_text(f"{self._pid}\n")
        self.state = BrokerState(port, controller_port, cluster_id, self._pid)
        self._write_state(self.state)
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        log.info(
            "kafka: broker pid %d serving %s after %.1f s",
            self._pid,
            self.bootstrap,
            time.monotonic() - started,
        )

    def _wait_ready(self, timeout: float) -> None:
        assert self.state is not None
        deadline = time.monotonic() + timeout
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            if not self.running:
                raise BrokerError(
                    f"kafka exited during start; see {self.log_file}\n{tail(self.console_file)}"
                    f"\n{tail(self.log_file)}"
                )
            try:
                if probe_metadata(HOST, self.state.port, timeout=2.0) > 0:
                    return
                last_error = "no broker registered yet"
            except (OSError, struct.error, BrokerError) as exc:
                last_error = str(exc) or type(exc).__name__
            time.sleep(0.1)
        raise BrokerError(f"kafka did not serve on {self.bootstrap} within {timeout:.0f} s ({last_error})")

    # -- stop ------------------------------------------------------------------------------------
    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM the broker (a clean shutdown flushes the logs), SIGKILL it after ``timeout``."""
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.send_signal(signal.SIGTERM)
                try:
                    self._proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    log.warning(
                        "kafka: pid %d ignored SIGTERM for %.0f s; killing it", self._proc.pid, timeout
                    )
                    self._proc.kill()
                    self._proc.wait()
        elif self._pid is not None:
            stop_pid(self._pid, timeout)
        self._proc = None
        self._pid = None
        with contextlib.suppress(OSError):
            self.pid_file.unlink()

    @classmethod
    def attach(cls, data_dir: Path) -> KafkaBroker | None:
        """A handle on a broker some other process started on ``data_dir`` (None if none runs)."""
        broker = cls(data_dir)
        pid = broker.running_pid()
        if pid is None:
            return None
        broker._pid = pid
        broker.state = broker.read_state()
        return broker

    def __enter__(self) -> KafkaBroker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def stop_pid(pid: int, timeout: float = 30.0) -> None:
    """SIGTERM a process that is not our child, wait for it to go, SIGKILL after ``timeout``."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        if time.monotonic() > deadline:
            log.warning("kafka: pid %d ignored SIGTERM for %.0f s; killing it", pid, timeout)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.1)


# ------------------------------------------------------------------------------------------- CLI


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lab.kafka_broker", description="A single-node Kafka broker (KRaft) on loopback."
    )
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument("--data-dir", type=Path, required=True, help="state, logs and topic data")
    parser.add_argument("--port", type=int, default=0, help="PLAINTEXT port (0: previous or free)")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for start/stop")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    running = KafkaBroker.attach(args.data_dir)
    if args.command == "status":
        if running is None:
            _say(f"stopped ({args.data_dir})")
            return 3
        rss = running.rss_bytes()
        state = running.state
        _say(
            f"running pid={running.pid} bootstrap={state.bootstrap if state else '?'}"
            f" rss={(rss or 0) // 2**20}MiB"
        )
        return 0
    if args.command == "stop":
        if running is None:
            _say(f"not running ({args.data_dir})")
            return 0
        running.stop(args.timeout)
        _say(f"stopped pid={running.state.pid if running.state else '?'}")
        return 0
    if running is not None:
        _say(running.bootstrap)
        return 0
    broker = KafkaBroker(args.data_dir, args.port)
    try:
        broker.start(args.timeout, detach=True)
    except BrokerError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    _say(broker.bootstrap)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
