"""Quiet, precise failures of the `rom` command, run as a subprocess: a device down is one line
(no traceback, no library log) in `drift report` (every format, unreachable counted apart from
drifted) and in `order submit --dry-run`; tracebacks only with --debug; a refusal names the owner."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings
from inventory.context import Context
from inventory.pool_store import ReservationRow
from inventory.records import Device, Resource
from lab.support import REPO
from sims.fleet import FleetThread, SimDeviceSpec
from tests.integration.conftest import l3vpn_item, order, qos_item, register_fleet


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def endpoint(device: str, vrf: str, vlan: int) -> dict[str, Any]:
    chars = l3vpn_item("1", device, vrf, vlan)["resource"]["resourceCharacteristic"]
    return {c["name"]: c["value"] for c in chars} | {"description": ""}


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """pe1 a live simulator, pe2 and pe3 down (nothing listens); a resource on each, none pushed."""
    var = tmp_path_factory.mktemp("cli")
    with FleetThread([SimDeviceSpec("pe1")]) as fleet:
        ctx = Context.create(Settings(var_dir=var))
        register_fleet(ctx, fleet)
        with ctx.transaction() as session:
            for name in ("pe2", "pe3"):
                session.add(
                    Device(
                        name=name, host="127.0.0.1", port=closed_port(), platform="rom-router", source="test"
                    )
                )
            for device, vlan in (("pe1", 701), ("pe2", 702), ("pe3", 703)):
                values = endpoint(device, "CLI", vlan)
                name = f"CLI@{device}:Ethernet2.{vlan}"
                session.add(
                    Resource(
                        id=str(uuid.uuid4()),
                        name=name,
                        spec_id="l3vpn-endpoint",
                        device=device,
                        characteristics=values,
                    )
                )
        ctx.engine.dispose()
        yield var


def rom(var: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ROM_")}
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env={**base, "ROM_VAR_DIR": str(var), "COLUMNS": "120", **env},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_drift_report_with_devices_down_is_one_line_each_and_counts_them_apart(var_dir: Path) -> None:
    done = rom(var_dir, "drift", "report")
    assert done.returncode == 2, done.stderr
    assert done.stderr == ""  # no traceback, no Nornir/paramiko log
    lines = [line for line in done.stdout.splitlines() if line.startswith("unreachable ")]
    assert [line.split(":")[0] for line in lines] == ["unreachable pe2", "unreachable pe3"]
    assert all("Connection refused" in line and "(1 resource(s) not checked)" in line for line in lines)
    assert "3 resource(s): 0 in sync, 1 drifted, 2 not checked on 2 unreachable device(s)" in done.stdout
    assert "CLI@pe1:Ethernet2.701" in done.stdout and "missing" in done.stdout

    as_json = rom(var_dir, "drift", "report", "--format", "json")
    assert as_json.returncode == 2 and as_json.stderr == ""
    doc = json.loads(as_json.stdout)
    assert doc["summary"] == {
        "resources": 3,
        "inSync": 0,
        "drifted": 1,
        "unreachable": 2,
        "unreachableDevices": 2,
        "unmanaged": 0,
    }
    assert [(u["device"], u["resources"]) for u in doc["unreachable"]] == [
        ("pe2", ["CLI@pe2:Ethernet2.702"]),
        ("pe3", ["CLI@pe3:Ethernet2.703"]),
    ]
    assert all("\n" not in u["reason"] for u in doc["unreachable"])

    markdown = rom(var_dir, "drift", "report", "--format", "markdown")
    assert markdown.returncode == 2 and markdown.stderr == ""
    assert [line.split(":")[0] for line in markdown.stdout.splitlines() if line.startswith("- **")] == [
        "- **pe2**",
        "- **pe3**",
    ]
    assert "1 drifted, 2 not checked on 2 unreachable device(s)" in markdown.stdout


def test_tracebacks_only_when_debugging(var_dir: Path) -> None:
    assert "Traceback" in rom(var_dir, "--debug", "drift", "report").stderr
    assert "Traceback" in rom(var_dir, "drift", "report", ROM_LOG_LEVEL="DEBUG").stderr


def test_dry_run_with_a_device_down_is_one_error_line(var_dir: Path, tmp_path: Path) -> None:
    body = tmp_path / "order.json"
    body.write_text(json.dumps(order(l3vpn_item("a", "pe1", "DRY", 801), l3vpn_item("b", "pe2", "DRY", 802))))
    done = rom(var_dir, "order", "submit", "--dry-run", str(body))
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("error: dry run failed: pe2: ") and "Connection refused" in line
    assert "pe1" not in line


def test_dry_run_of_a_repeat_names_the_owner(var_dir: Path, tmp_path: Path) -> None:
    body = tmp_path / "order.json"
    body.write_text(json.dumps(order(l3vpn_item("a", "pe1", "CLI", 701))))
    done = rom(var_dir, "order", "submit", "--dry-run", str(body))
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert "repeats resource " in line and "(CLI@pe1:Ethernet2.701)" in line
    assert "subinterface[index=701] on pe1" in line  # markup-like brackets survive


def test_version_and_an_unreachable_api(var_dir: Path) -> None:
    version = rom(var_dir, "--version")
    assert version.returncode == 0 and version.stdout.startswith("rom ")
    down = rom(var_dir, "order", "get", "x", ROM_API_URL=f"http://127.0.0.1:{closed_port()}")
    assert down.returncode == 2
    [line] = down.stderr.splitlines()
    assert "cannot reach the ROM API at http://127.0.0.1:" in line and "rom serve" in line


def sla_rule(**fields: Any) -> dict[str, Any]:
    corrective = {
        "orderItem": [
            {
                "id": "fix",
                "action": "modify",
                "resourceSpecification": {"id": "l3vpn-endpoint"},
                "resource": {"id": "{resource}", "resourceCharacteristic": []},
            }
        ]
    }
    rule = {"name": "r1", "metric": "kpis/x", "op": ">", "threshold": 1, "for": 1}
    return {**rule, "corrective_order": corrective, **fields}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"resource": "no-such-id"}, "rule r1: resource 'no-such-id' is not in the inventory"),
        ({"resource": None, "device": "pe9"}, "rule r1: device 'pe9' is not in the inventory"),
        ({}, "rule r1: its corrective order names {resource}, so the rule needs `resource:`"),
    ],
)
def test_sla_rules_that_cannot_match_are_refused_before_kafka(
    var_dir: Path, tmp_path: Path, fields: dict[str, Any], expected: str
) -> None:
    import yaml

    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump([{k: v for k, v in sla_rule(**fields).items() if v is not None}]))
    done = rom(var_dir, "telemetry", "run", "--rules", str(rules))  # no ROM_KAFKA_BOOTSTRAP either
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert expected in line, line


def test_a_rule_on_an_inventory_resource_gets_past_the_rules(var_dir: Path, tmp_path: Path) -> None:
    import yaml

    ctx = Context.create(Settings(var_dir=var_dir))
    with ctx.sessions() as session:
        resource_id = session.query(Resource.id).filter(Resource.device == "pe1").scalar()
    ctx.engine.dispose()
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump([sla_rule(resource=resource_id, device="pe1")]))
    done = rom(var_dir, "telemetry", "run", "--rules", str(rules))
    assert done.returncode == 2
    assert done.stderr.strip() == "error: no Kafka broker: set ROM_KAFKA_BOOTSTRAP or pass --bootstrap"


def test_lab_fault_without_a_lab_and_with_an_unknown_kind(var_dir: Path) -> None:
    done = rom(var_dir, "lab", "fault", "gnb1", "lod")
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: unknown fault kind 'lod' (did you mean 'load'?); known: ")
    done = rom(var_dir, "lab", "fault", "gnb1", "load")
    assert done.returncode == 2
    assert "no lab is running" in done.stderr and "rom lab up TOPOLOGY" in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("inventory", "show"),
        ("catalog", "list"),
        ("catalog", "show", "slice-core"),
        ("lab", "fault", "--help"),
    ],
)
def test_tables_fit_80_columns(var_dir: Path, args: tuple[str, ...]) -> None:
    done = rom(var_dir, *args, COLUMNS="80")
    assert done.returncode == 0, done.stderr
    assert max(len(line) for line in done.stdout.splitlines()) <= 80, done.stdout
    if args == ("inventory", "show"):
        ctx = Context.create(Settings(var_dir=var_dir))
        with ctx.sessions() as session:
            ids = [r.id for r in session.query(Resource)]
        ctx.engine.dispose()
        assert all(f"│ {i[:8]} │" in done.stdout for i in ids)  # whole on one line, not folded
        wide = rom(var_dir, *args, "--wide", COLUMNS="250")
        assert all(i in wide.stdout for i in ids) and "vlanId=701" in wide.stdout


def test_kafka_down_is_one_line_and_aiokafka_speaks_only_with_debug(var_dir: Path) -> None:
    """aiokafka logs every failed connection at ERROR: quiet by default (cli/logs.py), back with --debug."""
    bootstrap = f"127.0.0.1:{closed_port()}"
    args = ("telemetry", "tail", "--bootstrap", bootstrap, "--limit", "1")
    done = rom(var_dir, *args)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith(f"error: cannot reach Kafka at {bootstrap} (KafkaConnectionError: ")
    assert "ROM_KAFKA_BOOTSTRAP" in line
    debug = rom(var_dir, "--debug", *args)
    assert debug.returncode == 2
    assert any(" aiokafka" in line and "ERROR" in line for line in debug.stderr.splitlines()), debug.stderr


def test_dry_run_previews_what_intake_would_allocate_and_keeps_nothing(var_dir: Path, tmp_path: Path) -> None:
    """A transport-qos add without schedulerSequence renders with the sequence intake would take."""
    body = tmp_path / "order.json"
    body.write_text(json.dumps(order(qos_item("q", "pe1", "DRYQ"))))
    for _ in range(2):  # nothing is kept: the second preview takes the same sequence
        done = rom(var_dir, "order", "submit", "--dry-run", str(body))
        assert done.returncode == 0, done.stderr
        assert "scheduler[sequence=1]" in done.stdout and "DRYQ" in done.stdout
    ctx = Context.create(Settings(var_dir=var_dir))
    with ctx.sessions() as session:
        assert session.query(ReservationRow).filter(ReservationRow.pool == "qos-scheduler").count() == 0
    ctx.engine.dispose()
