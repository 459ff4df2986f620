"""A throw-away PostgreSQL cluster on loopback for tests (the Debian server binaries)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from lab.support import free_port


class PostgresServer:
    """initdb + pg_ctl in a temporary directory; trust auth on 127.0.0.1 only."""

    def __init__(self, fsync: bool = False) -> None:
        """`fsync`: durable commits, as in production (tests run faster without)."""
        self.fsync = fsync
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
        if not found:
            pytest.skip("PostgreSQL server binaries not installed (scripts/system-deps.sh installs them)")
        self.bin = Path(found[-1]).parent
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="rom-pg-"))
        self.data = self.dir / "data"
        self._as: list[str] = []
        if os.geteuid() == 0:  # postgres refuses to run as root
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://rom@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "rom", "-A", "trust", "--no-sync")
        self.resume()

    def resume(self) -> None:
        """Start the server on the existing data directory (after `halt`)."""
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            f"-c fsync={'on' if self.fsync else 'off'} -c max_connections=200"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.dir / "log"),
            "-w",
            "start",
        )

    def halt(self, mode: str = "fast") -> None:
        """Stop the server but keep its data (`fast` ends every session; `immediate` is a crash)."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def stop(self) -> None:
        subprocess.run(
            [*self._as, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.dir, ignore_errors=True)
