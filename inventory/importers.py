"""Devices from files engineers already have: a simulator fleet's endpoints.json, or a
Nornir SimpleInventory hosts.yaml (also what NetBox exports through nornir_netbox).

Credentials come in as a reference (`credentials: core-admin`, see core/secrets.py); a file that
carries a password in clear is refused, and nothing of it is stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from core.errors import InvalidRequest
from core.secrets import check_reference, yaml_error_where
from core.text import uncarryable
from inventory.records import Device

SECRET_WORDS = ("password", "secret", "passphrase")  # in a key: password, enable_secret, ...


def load_devices(path: Path) -> list[Device]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise InvalidRequest(f"cannot read {path}: {exc}") from None
    try:
        doc = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        # YAML errors without PyYAML's snippet of the offending line: it may hold a password
        why = yaml_error_where(exc) if isinstance(exc, yaml.YAMLError) else str(exc)
        raise InvalidRequest(f"{path}: not valid {path.suffix.lstrip('.') or 'YAML'}: {why}") from None
    if (problem := uncarryable(doc)) is not None:  # what the API refuses, the import refuses too
        raise InvalidRequest(f"{path}: {problem[0]}: contains {problem[1]}")
    if isinstance(doc, dict) and isinstance(doc.get("devices"), list):
        return [_from_endpoint(ep, path) for ep in doc["devices"]]
    if isinstance(doc, dict):
        return [_from_nornir_host(name, host or {}, path) for name, host in doc.items()]
    raise InvalidRequest(
        f"{path}: expected an endpoints file ({{'devices': [...]}}) or a Nornir hosts mapping"
    )


def _refuse_clear_secrets(entry: Any, where: str) -> None:
    """InvalidRequest if `entry` holds a password (at any depth); the message never repeats the value."""
    if isinstance(entry, dict):
        for key, value in entry.items():
            if any(word in str(key).lower() for word in SECRET_WORDS) and value:
                raise InvalidRequest(
                    f"{where} has a plaintext {key!s:.32}; ROM stores none: remove it and give "
                    "`credentials: <name>` (resolved from ROM_SECRET_<NAME>_* or ROM_SECRETS_FILE)"
                )
            _refuse_clear_secrets(value, where)
    elif isinstance(entry, list):
        for value in entry:
            _refuse_clear_secrets(value, where)


def _reference(entry: dict[str, Any], where: str) -> str:
    data = entry.get("data")
    ref = entry.get("credentials") or (data.get("credentials") if isinstance(data, dict) else "") or ""
    if not isinstance(ref, str):
        raise InvalidRequest(f"{where}: credentials must be the name of a credentials entry")
    try:
        return check_reference(ref) if ref else ""
    except InvalidRequest as exc:
        raise InvalidRequest(f"{where}: {exc}") from None


def _from_endpoint(ep: Any, path: Path) -> Device:
    where = f"{path}: device {ep.get('name')!r}" if isinstance(ep, dict) else f"{path}: a device entry"
    _refuse_clear_secrets(ep, where)
    try:
        return Device(
            name=str(ep["name"]),
            host=str(ep["host"]),
            port=int(ep["netconf_port"]),
            gnmi_port=int(ep["gnmi_port"]) if ep.get("gnmi_port") else None,
            platform=str(ep["platform"]),
            role=str(ep.get("role", "")),
            source=f"file:{path.name}",
            credentials=_reference(ep, where),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidRequest(
            f"{path}: device entry {ep!r} lacks name/host/netconf_port/platform ({exc})"
        ) from None


def _from_nornir_host(name: str, host: Any, path: Path) -> Device:
    if not isinstance(host, dict):
        raise InvalidRequest(f"{path}: host {name!r} must be a mapping (hostname, platform, ...)")
    _refuse_clear_secrets(host, f"{path}: host {name!r}")
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
        credentials=_reference(host, f"{path}: host {name!r}"),
    )
