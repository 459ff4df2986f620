from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import InvalidRequest
from inventory.importers import load_devices


def test_fleet_endpoints(tmp_path: Path) -> None:
    path = tmp_path / "endpoints.json"
    path.write_text(
        json.dumps(
            {
                "devices": [
                    {
                        "name": "r1",
                        "host": "127.0.0.1",
                        "netconf_port": 10830,
                        "platform": "rom-router",
                        "model": "router",
                    }
                ]
            }
        )
    )
    [device] = load_devices(path)
    assert (device.name, device.port, device.platform) == ("r1", 10830, "rom-router")


def test_nornir_hosts(tmp_path: Path) -> None:
    path = tmp_path / "hosts.yaml"
    path.write_text("pe9:\n  hostname: 192.0.2.9\n  platform: netconf\n  data: {role: pe}\n")
    [device] = load_devices(path)
    assert (device.host, device.port, device.role) == ("192.0.2.9", 830, "pe")


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("hosts.yaml", "pe9:\n  platform: netconf\n", "needs hostname"),
        ("hosts.yaml", "pe9: {hostname: h, platform: p, port: x}\n", "bad port"),
        ("hosts.yaml", "- just\n- a list\n", "expected an endpoints file"),
        ("e.json", '{"devices": [{"name": "x"}]}', "lacks name/host"),
        ("e.json", "{nope", "not valid json"),
    ],
)
def test_bad_files(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InvalidRequest, match=message):
        load_devices(path)


def test_credentials_reference_from_nornir_and_endpoints(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts.yaml"
    hosts.write_text(
        "pe1: {hostname: h1, platform: netconf, credentials: core-admin}\n"
        "pe2: {hostname: h2, platform: netconf, data: {credentials: edge_ro}}\n"
        "pe3: {hostname: h3, platform: netconf}\n"
    )
    assert [d.credentials for d in load_devices(hosts)] == ["core-admin", "edge_ro", ""]
    endpoints = tmp_path / "endpoints.json"
    endpoints.write_text(
        json.dumps(
            {
                "devices": [
                    {"name": "r1", "host": "h", "netconf_port": 1, "platform": "p", "credentials": "lab"}
                ]
            }
        )
    )
    assert load_devices(endpoints)[0].credentials == "lab"


SECRET = "Pl41n-t3xt-unit"


@pytest.mark.parametrize(
    "text",
    [
        f"pe1: {{hostname: h, platform: netconf, password: {SECRET}}}\n",
        f"pe1: {{hostname: h, platform: netconf, data: {{enable_secret: {SECRET}}}}}\n",
        f"pe1:\n  hostname: h\n  platform: p\n  connection_options:\n    netconf: {{password: {SECRET}}}\n",
        json.dumps(
            {"devices": [{"name": "r", "host": "h", "netconf_port": 1, "platform": "p", "password": SECRET}]}
        ),
    ],
)
def test_plaintext_password_is_refused_without_repeating_it(tmp_path: Path, text: str) -> None:
    path = tmp_path / ("e.json" if text.startswith("{") else "hosts.yaml")
    path.write_text(text)
    with pytest.raises(InvalidRequest, match=r"plaintext .*credentials: <name>") as err:
        load_devices(path)
    assert SECRET not in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("pe1: {hostname: h, platform: p, credentials: '../x'}\n", "not a name"),
        ("pe1: {hostname: h, platform: p, credentials: [a]}\n", "must be the name"),
        ("pe1: just-a-string\n", "must be a mapping"),
        (f"pe1: {{hostname: h, password: {SECRET}: x}}\n", "not valid yaml: .* at line 1"),
    ],
)
def test_bad_references_and_broken_yaml(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "hosts.yaml"
    path.write_text(text)
    with pytest.raises(InvalidRequest, match=message) as err:
        load_devices(path)
    assert SECRET not in str(err.value)
