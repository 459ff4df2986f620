"""Device passwords never leave the secrets store: run orders that complete and that fail on
authentication against simulators with distinctive passwords, then scan everything the run wrote
(database files, the debug log, outbox events, API bodies, /metrics, CLI output) for them."""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from core.outbox import OutboxRow
from inventory.context import Context
from lab.support import REPO, trust_fleet, wait_order
from sims.fleet import FleetThread, SimDeviceSpec
from tests.integration.conftest import ORDERS, l3vpn_item, make_settings, order, qos_item

pytestmark = pytest.mark.e2e
RESOURCES = "/tmf-api/resourceInventoryManagement/v4/resource"
PASSWORD = f"Pw-{secrets.token_hex(8)}-device"  # what the devices accept
WRONG = f"Pw-{secrets.token_hex(8)}-stale"  # what a stale reference holds
USER = "netops"


class DeviceSideOnly(logging.Filter):
    """The simulators (and their SSH server) are the device, not ROM: their records are not scanned."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.name.startswith(("sims", "asyncssh"))


@pytest.fixture
def debug_log(tmp_path: Path) -> Iterator[Path]:
    """Every ROM and library log record, at DEBUG, into a file."""
    path = tmp_path / "rom-debug.log"
    handler = logging.FileHandler(path)
    handler.setLevel(logging.DEBUG)
    handler.addFilter(DeviceSideOnly())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()


def rom_cli(var_dir: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env={**os.environ, **env, "ROM_VAR_DIR": str(var_dir), "COLUMNS": "250"},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_device_passwords_appear_nowhere(
    tmp_path: Path, debug_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    var_dir = tmp_path / "var"
    secrets_file = tmp_path / "secrets.yaml"
    secrets_file.write_text(
        f"core-admin: {{username: {USER}, password: {PASSWORD}}}\n"
        f"stale: {{username: {USER}, password: {WRONG}}}\n"
    )
    secrets_file.chmod(0o600)
    env = {
        "ROM_SECRETS_FILE": str(secrets_file),
        "ROM_SECRET_EDGE_ADMIN_USERNAME": USER,
        "ROM_SECRET_EDGE_ADMIN_PASSWORD": PASSWORD,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    outputs: list[str] = []  # every CLI output and API body, scanned at the end

    specs = [SimDeviceSpec(n, username=USER, password=PASSWORD) for n in ("pe1", "pe2", "pe3", "pe4")]
    with FleetThread(specs) as fleet:
        # a plaintext password in an import file is refused in one line and nothing is stored
        clear = tmp_path / "clear.yaml"
        clear.write_text(f"pe9: {{hostname: 127.0.0.1, platform: rom-router, password: {PASSWORD}}}\n")
        refused = rom_cli(var_dir, env, "inventory", "import", str(clear))
        outputs += [refused.stdout, refused.stderr]
        assert refused.returncode == 2, refused.stderr
        assert "plaintext password" in refused.stderr and "credentials: <name>" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) <= 2  # one message (rich may wrap it once)

        refs = {"pe1": "core-admin", "pe2": "edge-admin", "pe3": "stale", "pe4": "no-such-ref"}
        devices = [
            {
                "name": ep.name,
                "host": ep.host,
                "netconf_port": ep.netconf_port,
                "gnmi_port": ep.gnmi_port,
                "platform": ep.platform,
                "role": "pe",
                "credentials": refs[ep.name],
            }
            for ep in fleet.endpoints
        ]
        endpoints = tmp_path / "endpoints.json"
        endpoints.write_text(json.dumps({"devices": devices}))
        imported = rom_cli(var_dir, env, "inventory", "import", str(endpoints))
        outputs += [imported.stdout, imported.stderr]
        assert imported.returncode == 0, imported.stderr
        listed = rom_cli(var_dir, env, "inventory", "devices")
        outputs += [listed.stdout, listed.stderr]
        assert listed.returncode == 0 and "core-admin" in listed.stdout and "no-such-ref" in listed.stdout

        settings = make_settings(var_dir, secrets_file=secrets_file)
        trust_fleet(fleet, settings.effective_known_hosts)
        with TestClient(create_app(settings)) as client:
            bodies = {
                "ok": order(  # NETCONF on both, gNMI on pe2, KPI baselines over gNMI on both
                    l3vpn_item("1", "pe1", "V1", 101),
                    l3vpn_item("2", "pe2", "V1", 101),
                    qos_item("3", "pe2", "Q1"),
                ),
                "stale": order(l3vpn_item("1", "pe3", "V2", 102)),  # NETCONF: SSH authentication fails
                "stale-gnmi": order(qos_item("1", "pe3", "Q2")),  # gNMI: UNAUTHENTICATED from the device
                "unknown": order(l3vpn_item("1", "pe4", "V3", 103)),
            }
            posted = {name: client.post(ORDERS, json=body) for name, body in bodies.items()}
            assert all(r.status_code == 201 for r in posted.values()), {k: r.text for k, r in posted.items()}
            finals = {name: wait_order(client, r.json()["id"]) for name, r in posted.items()}
            notes = {k: json.dumps(v.get("note", [])) for k, v in finals.items()}
            assert finals["ok"]["state"] == "completed", notes["ok"]
            assert {finals[k]["state"] for k in ("stale", "stale-gnmi", "unknown")} == {"failed"}
            assert "pe3" in notes["stale"] and "uthentication" in notes["stale"], notes["stale"]
            assert "invalid username or password" in notes["stale-gnmi"], notes["stale-gnmi"]
            assert "credentials 'no-such-ref' are not defined" in notes["unknown"], notes["unknown"]

            errors = [
                client.get(f"{ORDERS}/no-such-order"),
                client.post(ORDERS, json={"orderItem": "not a list"}),
                client.post(ORDERS, json=order(l3vpn_item("1", "pe9", "V4", 104))),
            ]
            assert all(r.status_code >= 400 for r in errors), [r.status_code for r in errors]
            outputs += [r.text for r in errors]
            outputs += [
                client.get(ORDERS).text,
                client.get(RESOURCES).text,
            ]
            metrics = client.get("/metrics").text
            assert "rom_device" in metrics or "rom_order" in metrics
            outputs.append(metrics)
        drift = rom_cli(var_dir, env, "drift", "report", "--format", "json")
        outputs += [drift.stdout, drift.stderr]
        rows = {r["device"]: r for r in json.loads(drift.stdout)["rows"]}  # per device, not fatal
        assert rows["pe1"]["status"] == "in-sync" and rows["pe4"]["status"] == "unreachable"
        assert "credentials 'no-such-ref' are not defined" in rows["pe4"]["actual"]
        assert "uthentication" in rows["pe3"]["actual"]
        ctx = Context.create(settings)
        with ctx.sessions() as session:
            events = [json.dumps(row.payload) for row in session.scalars(select(OutboxRow))]
        ctx.engine.dispose()

    assert len(events) >= 8  # created + state changes of four orders
    written = sorted(p for p in tmp_path.rglob("*") if p.is_file() and p != secrets_file)
    assert var_dir / "rom.db" in written and debug_log in written
    assert debug_log.stat().st_size > 10_000  # the drivers really logged at DEBUG
    for secret in (PASSWORD, WRONG):
        leaks = [str(p) for p in written if p != clear and secret.encode() in p.read_bytes()]
        leaks += [f"event {e[:80]}" for e in events if secret in e]
        leaks += [f"output {o[:80]!r}" for o in outputs if secret in o]
        assert not leaks, f"a device password leaked into: {leaks}"
