"""SSH host key verification against a real simulator over SSH: strict, tofu and off policies."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import asyncssh
import paramiko
import pytest

from drivers.base import DeviceTarget
from drivers.errors import TransportError
from drivers.host_keys import known_hosts_line
from drivers.netconf import NetconfDriver
from drivers.nornir_plugins import make_nornir
from drivers.registry import driver_for
from drivers.transaction import run_transaction
from lab.containerlab import trust_host_keys
from lab.support import REPO, trust_fleet
from sims.fleet import FleetThread, SimDeviceSpec
from tests.integration.test_driver_netconf import device_state, subif_payload

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def fleet() -> Iterator[FleetThread]:
    with FleetThread([SimDeviceSpec("pe1")], control_port=None) as f:
        yield f


def target(fleet: FleetThread, known_hosts: Path, policy: str = "strict") -> DeviceTarget:
    ep = fleet.endpoint("pe1")
    return DeviceTarget(
        "pe1",
        ep.host,
        ep.netconf_port,
        ep.platform,
        "admin",
        "admin",
        timeout=10,
        known_hosts=str(known_hosts),
        host_key_policy=policy,  # type: ignore[arg-type]
    )


def other_key_line(fleet: FleetThread) -> str:
    ep = fleet.endpoint("pe1")
    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
    return known_hosts_line(ep.host, ep.netconf_port, other)


def push(t: DeviceTarget) -> str:
    """A one-device transaction; its error text ("" when it worked)."""
    out = run_transaction(
        make_nornir([t], workers=1),
        {"pe1": subif_payload(7, 700)},
        confirm_timeout=60,
        persist_id="hk",
        post_check=lambda: [],
    )
    return "" if out.ok else " ".join(str(e) for e in out.errors)


def test_strict_refuses_an_unknown_key_and_pushes_nothing(fleet: FleetThread, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    with pytest.raises(TransportError, match=r"pe1: SSH host key of \[127.0.0.1\]:\d+ .* is not in") as err:
        NetconfDriver(target(fleet, known)).open()
    assert "ROM_SSH_HOST_KEY_POLICY=tofu" in str(err.value) and "ssh-keyscan" in str(err.value)
    assert "is not in" in push(target(fleet, known))
    assert device_state(fleet, "pe1")["running"] == {} and device_state(fleet, "pe1")["candidate"] == {}
    assert not known.exists()  # strict never writes


@pytest.mark.parametrize("policy", ["strict", "tofu"])
def test_a_changed_key_is_refused_under_strict_and_tofu(
    fleet: FleetThread, tmp_path: Path, policy: str
) -> None:
    known = tmp_path / "known_hosts"
    known.write_text(other_key_line(fleet) + "\n")
    before = known.read_text()
    with pytest.raises(TransportError, match=r"pe1: SSH host key of .* has CHANGED") as err:
        NetconfDriver(target(fleet, known, policy)).open()
    assert "ssh-keygen -R" in str(err.value)
    assert "CHANGED" in push(target(fleet, known, policy))
    assert device_state(fleet, "pe1")["running"] == {}
    assert known.read_text() == before


def test_tofu_records_the_key_then_strict_accepts_it(fleet: FleetThread, tmp_path: Path) -> None:
    known = tmp_path / "var" / "known_hosts"
    driver = NetconfDriver(target(fleet, known, "tofu"))
    driver.open()
    driver.close()
    ep = fleet.endpoint("pe1")
    assert ep.ssh_host_key is not None
    assert known.read_text() == known_hosts_line(ep.host, ep.netconf_port, ep.ssh_host_key) + "\n"
    assert push(target(fleet, known, "strict")) == ""
    assert device_state(fleet, "pe1")["running"] == {"7": "700"}
    assert known.read_text().count("\n") == 1  # nothing recorded twice


def test_known_key_is_accepted_also_as_a_hashed_entry(fleet: FleetThread, tmp_path: Path) -> None:
    plain = Path(trust_fleet(fleet, tmp_path / "plain"))
    driver = NetconfDriver(target(fleet, plain))
    driver.open()
    driver.close()
    hashed = tmp_path / "hashed"  # as `ssh-keyscan -H` writes it
    name, kind, key = plain.read_text().split()
    hashed.write_text(f"{paramiko.HostKeys.hash_host(name)} {kind} {key}\n")
    driver = NetconfDriver(target(fleet, hashed))
    driver.open()
    driver.close()


def test_an_entry_for_the_bare_host_is_accepted_for_any_port(fleet: FleetThread, tmp_path: Path) -> None:
    ep = fleet.endpoint("pe1")
    assert ep.ssh_host_key is not None
    bare = tmp_path / "bare"
    bare.write_text(known_hosts_line(ep.host, 22, ep.ssh_host_key) + "\n")  # named `host`, no port
    driver = NetconfDriver(target(fleet, bare))
    driver.open()
    driver.close()
    bare.write_text(other_key_line(fleet).replace(f"[{ep.host}]:{ep.netconf_port}", ep.host) + "\n")
    with pytest.raises(TransportError, match="is not in"):
        NetconfDriver(target(fleet, bare)).open()


def test_off_checks_nothing_and_says_so(
    fleet: FleetThread, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("drivers.host_keys._warned_off", False)
    known = tmp_path / "known_hosts"
    known.write_text(other_key_line(fleet) + "\n")
    with caplog.at_level(logging.WARNING, logger="drivers.host_keys"):
        for _ in range(2):
            driver = NetconfDriver(target(fleet, known, "off"))
            driver.open()
            driver.close()
    assert [r.message for r in caplog.records].count(
        "SSH host keys are NOT verified (ROM_SSH_HOST_KEY_POLICY=off): connections can be intercepted"
    ) == 1


def test_lab_trust_replaces_a_stale_entry_for_the_same_port(fleet: FleetThread, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    unrelated = "[10.0.0.9]:830 " + other_key_line(fleet).split(" ", 1)[1]
    known.write_text(f"# kept\n{unrelated}\n{other_key_line(fleet)}\n")
    ep = fleet.endpoint("pe1")
    endpoints = [{"host": ep.host, "netconf_port": ep.netconf_port, "ssh_host_key": ep.ssh_host_key}]
    trust_host_keys(known, endpoints)
    assert known.read_text().splitlines() == [
        "# kept",
        unrelated,
        known_hosts_line(ep.host, ep.netconf_port, str(ep.ssh_host_key)),
    ]
    assert push(replace(target(fleet, known), name="pe1")) == ""


def test_an_unknown_policy_is_one_line_naming_the_setting(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ROM_VAR_DIR": str(tmp_path),
        "ROM_SSH_HOST_KEY_POLICY": "trust-all",
        "COLUMNS": "200",
    }
    done = subprocess.run(
        [sys.executable, "-m", "cli", "lab", "status"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: invalid Settings: ROM_SSH_HOST_KEY_POLICY: Input should be 'strict', 'tofu' or 'off'"
    )


def test_napalm_iosxr_netconf_checks_host_keys_too(fleet: FleetThread, tmp_path: Path) -> None:
    """NAPALM iosxr_netconf: checked by a key scan before credentials are sent, and on the session."""
    known = tmp_path / "known_hosts"

    def napalm(policy: str) -> None:
        driver = driver_for(replace(target(fleet, known, policy), platform="napalm:iosxr_netconf"))
        driver.open()
        driver.close()

    with pytest.raises(TransportError, match=r"pe1: SSH host key of \[127.0.0.1\]:\d+ .* is not in"):
        napalm("strict")
    assert not known.exists()
    napalm("tofu")  # scanned and recorded, then the session matches it
    ep = fleet.endpoint("pe1")
    assert known.read_text() == known_hosts_line(ep.host, ep.netconf_port, str(ep.ssh_host_key)) + "\n"
    napalm("strict")
    known.write_text(other_key_line(fleet) + "\n")
    with pytest.raises(
        TransportError, match=r"pe1: SSH host key of .* has CHANGED: it presented ssh-ed25519"
    ):
        napalm("tofu")


def test_napalm_session_key_is_checked_even_when_the_scan_passed(
    fleet: FleetThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone answering the scan with the recorded key but not the session is still caught."""
    known = tmp_path / "known_hosts"
    line = other_key_line(fleet)
    known.write_text(line + "\n")
    recorded = paramiko.hostkeys.HostKeyEntry.from_line(line)
    assert recorded is not None
    monkeypatch.setattr("drivers.napalm.scan_host_key", lambda host, port, timeout: recorded.key)
    driver = driver_for(replace(target(fleet, known), platform="napalm:iosxr_netconf"))
    with pytest.raises(TransportError, match=r"pe1: SSH host key of .* has CHANGED"):
        driver.open()


def test_concurrent_first_connects_under_tofu_record_one_entry(fleet: FleetThread, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"

    def connect(_: int) -> None:
        driver = NetconfDriver(target(fleet, known, "tofu"))
        driver.open()
        driver.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(connect, range(6)))
    assert len(known.read_text().splitlines()) == 1


def test_a_broken_known_hosts_line_is_a_clear_error(fleet: FleetThread, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_text("[10.0.0.9]:830 ssh-ed25519 not-base64!\n")
    with pytest.raises(TransportError, match=r"known_hosts: not a valid known_hosts line: '\[10.0.0.9\]:830"):
        NetconfDriver(target(fleet, known)).open()
    assert "not a valid known_hosts line" in push(target(fleet, known))  # the order fails, no crash
