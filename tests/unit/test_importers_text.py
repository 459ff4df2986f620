"""`rom inventory import` refuses text a device cannot carry, as the API does (core/text.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import InvalidRequest
from inventory.importers import load_devices


def test_a_device_name_with_a_nul_is_refused_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "endpoints.json"
    entry = {"name": "pe\x001", "host": "127.0.0.1", "netconf_port": 830, "platform": "rom-router"}
    path.write_text(json.dumps({"devices": [entry]}))
    with pytest.raises(InvalidRequest, match=r"devices\[0\]\.name: contains a NUL"):
        load_devices(path)


def test_a_hosts_file_with_a_control_character_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "hosts.yaml"
    path.write_text('pe1:\n  hostname: "10.0.0.1\\e"\n  platform: rom-router\n')
    with pytest.raises(InvalidRequest, match=r"pe1\.hostname: contains a control character \(U\+001B\)"):
        load_devices(path)
