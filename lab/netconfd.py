"""Start netconfd (yuma123) behind a private sshd on loopback: `scripts/netconfd/start.sh` as a child.

Used by the conformance suite's fixtures and by `bench/`. Raises `NetconfdUnavailable` (tests
skip on it) when the Debian packages are missing (`scripts/netconfd/install.sh` installs them).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from drivers.base import DeviceTarget
from drivers.host_keys import known_hosts_line, record

REPO = Path(__file__).resolve().parents[1]
START = REPO / "scripts" / "netconfd" / "start.sh"
BINARIES = ("sshd", "netconfd", "netconf-subsystem", "ssh-keygen")


class NetconfdUnavailable(RuntimeError):
    """netconfd or sshd is not installed (tests skip; `make test` installs them)."""


class NetconfdFailed(RuntimeError):
    """netconfd is installed but did not start: a failure, never a reason to skip."""


@dataclass(frozen=True)
class NetconfdEndpoint:
    host: str
    port: int
    username: str
    key_file: str
    mode: str  # "candidate" or "running" (netconfd --target)
    known_hosts: str | None = None  # holds sshd's host key

    def target(self, name: str = "netconfd", platform: str = "netconf", timeout: float = 10) -> DeviceTarget:
        return DeviceTarget(
            name,
            self.host,
            self.port,
            platform,
            self.username,
            "",
            timeout=timeout,
            key_file=self.key_file,
            known_hosts=self.known_hosts,
        )


def missing_binaries() -> list[str]:
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/bin"])
    return [b for b in BINARIES if shutil.which(b, path=path) is None]


def _read_env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {k: v for k, v in pairs}


class Netconfd:
    """`with Netconfd("candidate") as ep:` a running netconfd; stopped (both servers) on exit."""

    def __init__(self, mode: str = "candidate", startup_wait: float = 30.0) -> None:
        self.mode = mode
        self.startup_wait = startup_wait
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> NetconfdEndpoint:
        missing = missing_binaries()
        if missing:
            raise NetconfdUnavailable(f"missing {', '.join(missing)}: run scripts/netconfd/install.sh")
        self._tmp = tempfile.TemporaryDirectory(prefix=f"rom-netconfd-{self.mode}-")
        state = Path(self._tmp.name)
        env = {**os.environ, "NETCONFD_TARGET": self.mode, "PATH": os.environ["PATH"] + ":/usr/sbin"}
        with open(state / "start.log", "wb") as log:
            self._proc = subprocess.Popen(
                ["bash", str(START), str(state)], env=env, stdout=log, stderr=log, start_new_session=True
            )
        ready = state / "endpoint.env"
        deadline = time.monotonic() + self.startup_wait
        while not ready.exists():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                detail = (state / "start.log").read_text(errors="replace")[-2000:]
                self.stop()
                raise NetconfdFailed(f"netconfd is installed but did not start: {detail}")
            time.sleep(0.02)
        env_vars = _read_env(ready)
        host, port = env_vars["NETCONFD_HOST"], int(env_vars["NETCONFD_PORT"])
        known_hosts = state / "known_hosts"
        host_key = (state / "ssh_host_ed25519_key.pub").read_text()
        record(known_hosts, [known_hosts_line(host, port, host_key)])
        return NetconfdEndpoint(
            host,
            port,
            env_vars["NETCONFD_USER"],
            env_vars["NETCONFD_KEY"],
            env_vars["NETCONFD_TARGET"],
            str(known_hosts),
        )

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # start.sh stops sshd and netconfd, then exits
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> NetconfdEndpoint:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
