"""Devices from files engineers already have: a simulator fleet's endpoints.json, or a
Nornir SimpleInventory hosts.yaml (also what NetBox exports through nornir_netbox)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from inventory.store import Device
from rom.errors import InvalidRequest


def load_devices(path: Path) -> list[Device]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise InvalidRequest(f"cannot read {path}: {exc}") from None
    try:
        doc = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InvalidRequest(f"{path}: not valid {path.suffix.lstrip('.') or 'YAML'}: {exc}") from None
    if isinstance(doc, dict) and isinstance(doc.get("devices"), list):
        return [_from_endpoint(ep, path) for ep in doc["devices"]]
    if isinstance(doc, dict):
        return [_from_nornir_host(name, host or {}, path) for name, host in doc.items()]
    raise InvalidRequest(
        f"{path}: expected an endpoints file ({{'devices': [...]}}) or a Nornir hosts mapping"
    )


def _from_endpoint(ep: Any, path: Path) -> Device:
    try:
        return Device(
            name=str(ep["name"]),
            host=str(ep["host"]),
            port=int(ep["netconf_port"]),
            gnmi_port=int(ep["gnmi_port"]) if ep.get("gnmi_port") else None,
            platform=str(ep["platform"]),
            role=str(ep.get("role", "")),
            source=f"file:{path.name}",
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidRequest(
            f"{path}: device entry {ep!r} lacks name/host/netconf_port/platform ({exc})"
        ) from None


def _from_nornir_host(name: str, host: dict[str, Any], path: Path) -> Device:
    data = host.get("data") or {}
    missing = [k for k in ("hostname", "platform") if not host.get(k)]
    if missing:
        raise InvalidRequest(f"{path}: host {name!r} needs {', '.join(missing)}")
    try:
        port = int(host.get("port") or 830)
    except (TypeError, ValueError):
        raise InvalidRequest(f"{path}: host {name!r} has a bad port {host.get('port')!r}") from None
    return Device(
        name=str(name),
        host=str(host["hostname"]),
        port=port,
        platform=str(host["platform"]),
        role=str(data.get("role", "")),
        source=f"file:{path.name}",
    )
