"""Real processes on loopback: the lab's simulator fleet and `rom serve`, driven over the network."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.auth import key_digest
from lab.support import REPO, free_port, running_lab, serving

TOPOLOGY = REPO / "topologies" / "l3vpn.clab.yml"


def api_key(name: str, secret: str, scopes: list[str]) -> dict[str, Any]:
    """One entry of ROM_API_KEYS: the key's name, its digest and its scopes."""
    return {"name": name, "sha256": key_digest(secret), "scopes": scopes}


@dataclass
class Lab:
    env: dict[str, str]
    api: httpx.Client
    var_dir: Path

    def rom(self, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        """Run the `rom` CLI as a separate process against this lab."""
        return subprocess.run(
            [sys.executable, "-m", "cli", *args],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
            check=check,
        )

    def endpoint(self, device: str) -> tuple[str, int]:
        import json

        data = json.loads((self.var_dir / "lab" / "rom-l3vpn" / "endpoints.json").read_text())
        ep = next(d for d in data["devices"] if d["name"] == device)
        return ep["host"], ep["netconf_port"]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    var_dir = tmp_path_factory.mktemp("rom-var")
    port = free_port()
    env = {
        **os.environ,
        "ROM_VAR_DIR": str(var_dir),
        "ROM_API_URL": f"http://127.0.0.1:{port}",
        "ROM_CONFIRM_TIMEOUT": "60",
        "COLUMNS": "250",
    }
    env.pop("ROM_DATABASE_URL", None)
    with running_lab(env, TOPOLOGY), serving(env, var_dir / "serve.log", port) as client:
        yield Lab(env, client, var_dir)
