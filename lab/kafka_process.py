"""Kafka broker processes and the wire: a Metadata probe, ports, pids (used by lab.kafka_broker)."""

from __future__ import annotations

import os
import socket
import struct
from pathlib import Path

from lab.kafka_config import HOST, BrokerError


def _kafka_string(value: str) -> bytes:
    raw = value.encode()
    return struct.pack(">h", len(raw)) + raw


def build_metadata_request(correlation_id: int, client_id: str = "rom-probe") -> bytes:
    """A Metadata v4 request (all topics, no auto-creation), size-prefixed."""
    header = struct.pack(">hhi", 3, 4, correlation_id) + _kafka_string(client_id)
    body = struct.pack(">ib", -1, 0)
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def parse_metadata_broker_count(frame: bytes, correlation_id: int) -> int:
    """Number of brokers in a Metadata v4 response frame (without its size prefix)."""
    got_id, _throttle, brokers = struct.unpack_from(">iii", frame, 0)
    if got_id != correlation_id:
        raise BrokerError(f"metadata probe: correlation id {got_id} != {correlation_id}")
    return int(brokers)


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError("connection closed by the broker")
        chunks += chunk
    return bytes(chunks)


def probe_metadata(host: str, port: int, timeout: float = 2.0) -> int:
    """Send one Metadata request; return how many brokers the cluster reports. Raises ``OSError``."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(build_metadata_request(correlation_id=7))
        (size,) = struct.unpack(">i", _recv_exact(sock, 4))
        return parse_metadata_broker_count(_recv_exact(sock, size), correlation_id=7)


# --------------------------------------------------------------------------------- process helpers


def free_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # like the JVM's listeners: connections of the previous run in TIME_WAIT do not block a restart
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def is_broker_of(pid: int, data_dir: Path) -> bool:
    """Whether ``pid`` is a Kafka JVM started with this data directory's config."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    props = str(data_dir.resolve() / "server.properties").encode()
    return b"kafka.Kafka" in cmdline and props in cmdline


def rss_bytes(pid: int) -> int | None:
    """Resident set size of a process (Linux ``/proc``), or None when unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def read_cluster_id(meta_properties: Path) -> str | None:
    """The cluster id a formatted log directory carries (``meta.properties``), if formatted."""
    try:
        for line in meta_properties.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "cluster.id":
                return value.strip()
    except OSError:
        return None
    return None


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# -------------------------------------------------------------------------------------- the broker
