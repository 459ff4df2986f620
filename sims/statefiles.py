"""Files a fleet host keeps in its state dir: the SSH host key and ``endpoints.json``."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import asyncssh

ENDPOINTS_FILE = "endpoints.json"
HOST_KEY_FILE = "ssh_host_key"


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``path`` through a temporary file and a rename, with ``mode``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def generate_host_key() -> asyncssh.SSHKey:
    """A fresh ed25519 SSH host key."""
    return asyncssh.generate_private_key("ssh-ed25519")


def load_or_create_host_key(path: Path) -> asyncssh.SSHKey:
    """Read the host key at ``path``, generating and storing one (mode 0600) if absent."""
    if path.exists():
        return asyncssh.read_private_key(path)
    key = generate_host_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, key.export_private_key(), mode=0o600)
    return key


def write_endpoints(state_dir: Path, endpoints: Iterable[Any], control_url: str | None = None) -> Path:
    """Write ``<state_dir>/endpoints.json`` (dataclass endpoints, and the fleet's control API URL
    at the top level when there is one) atomically; returns its path."""
    path = state_dir / ENDPOINTS_FILE
    body: dict[str, Any] = {"devices": [asdict(endpoint) for endpoint in endpoints]}
    if control_url is not None:
        body["control_url"] = control_url
    atomic_write(path, (json.dumps(body, indent=2) + "\n").encode())
    return path
