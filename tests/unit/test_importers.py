from __future__ import annotations

import json
from pathlib import Path

import pytest

from inventory.importers import load_devices
from rom.errors import InvalidRequest


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
