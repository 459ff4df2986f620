"""Device credentials by reference: a device names its credentials ("core-admin"), and the
username/password (or key file) are looked up at use from the environment or a secrets file.

Nothing here is cached in the database, and no error message carries a secret value.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from core.errors import EXPECTED, InvalidRequest, NotFound, RomError
from core.settings import DeviceSettings

REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
ENV_PREFIX = "ROM_SECRET_"


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)
    key_file: str | None = None


def check_reference(name: str) -> str:
    """`name` if it can name credentials (letters, digits, '-', '_'; up to 64), else InvalidRequest."""
    if not REFERENCE.match(name):
        raise InvalidRequest(
            f"credentials reference {name[:64]!r} is not a name (letters, digits, '-' and '_' only)"
        )
    return name


def env_name(reference: str, part: str) -> str:
    """The variable holding one part: core-admin, PASSWORD -> ROM_SECRET_CORE_ADMIN_PASSWORD."""
    return f"{ENV_PREFIX}{reference.upper().replace('-', '_')}_{part}"


def resolve(
    reference: str,
    default: Credentials,
    secrets_file: Path | None = None,
    environ: Mapping[str, str] = os.environ,
) -> Credentials:
    """The credentials `reference` names: "" is `default`; then the environment, then the secrets file.

    Raises NotFound naming the reference (never a value) when neither holds it.
    """
    if not reference:
        return default
    check_reference(reference)
    found = _from_env(reference, environ)
    if found is None and secrets_file is not None:
        found = _from_file(reference, secrets_file)
    if found is None:
        env = env_name(reference, "*")
        where = f"{env} and {secrets_file}" if secrets_file else f"{env}; ROM_SECRETS_FILE is not set"
        raise NotFound(f"credentials {reference!r} are not defined (looked in {where})")
    return found


def _from_env(reference: str, environ: Mapping[str, str]) -> Credentials | None:
    parts = {p: environ.get(env_name(reference, p)) for p in ("USERNAME", "PASSWORD", "KEY_FILE")}
    if not any(parts.values()):
        return None
    return _complete(
        reference,
        {"username": parts["USERNAME"], "password": parts["PASSWORD"], "key_file": parts["KEY_FILE"]},
        f"the environment ({env_name(reference, '*')})",
    )


def _complete(reference: str, entry: Mapping[str, Any], where: str) -> Credentials:
    username, password, key_file = (entry.get(k) for k in ("username", "password", "key_file"))
    if not isinstance(username, str) or not username:
        raise InvalidRequest(f"credentials {reference!r} in {where} have no username")
    if not password and not key_file:
        raise InvalidRequest(f"credentials {reference!r} in {where} need a password or a key_file")
    if not isinstance(password or "", str) or not isinstance(key_file or "", str):
        raise InvalidRequest(f"credentials {reference!r} in {where}: password and key_file must be strings")
    return Credentials(username, password or "", key_file or None)


def _from_file(reference: str, path: Path) -> Credentials | None:
    entry = load_secrets_file(path).get(reference)
    if entry is None:
        return None
    if not isinstance(entry, dict):
        raise InvalidRequest(f"{path}: {reference!r} must be a mapping of username, password, key_file")
    return _complete(reference, entry, str(path))


_cache: dict[Path, tuple[tuple[int, int], dict[str, Any]]] = {}


def load_secrets_file(path: Path) -> dict[str, Any]:
    """The secrets file as {reference: entry}; refused when group or others may access it (as ssh does).

    Parsed again only when the file changes (rotation takes effect at the next device operation).
    """
    try:
        st = path.stat()
    except OSError as exc:
        raise RomError(f"cannot read ROM_SECRETS_FILE {path}: {exc.strerror}") from None
    if st.st_mode & 0o077:
        raise RomError(
            f"ROM_SECRETS_FILE {path} is accessible by group or others "
            f"(mode {stat.S_IMODE(st.st_mode):04o}); run: chmod 600 {path}"
        )
    version = (st.st_mtime_ns, st.st_size)
    cached = _cache.get(path)
    if cached and cached[0] == version:
        return cached[1]
    try:
        doc = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise RomError(f"cannot read ROM_SECRETS_FILE {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise RomError(f"ROM_SECRETS_FILE {path} is not valid YAML ({yaml_error_where(exc)})") from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise RomError(f"ROM_SECRETS_FILE {path} must map reference names to {{username, password}}")
    _cache[path] = (version, doc)
    return doc


def yaml_error_where(exc: yaml.YAMLError) -> str:
    """What went wrong and where, without PyYAML's snippet of the offending line (it may hold a secret)."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = re.sub(r"(['\"]).*?\1", "'…'", exc.problem or exc.context or "syntax error")  # e.g. an alias
        return f"{what}{at}"
    return type(exc).__name__


def device_credentials(device: str, reference: str, settings: DeviceSettings) -> Credentials:
    """What `device` logs in with: its credentials reference resolved now, or the settings' default."""
    default = Credentials(settings.device_username, settings.device_password.get_secret_value())
    try:
        return resolve(reference, default, settings.secrets_file)
    except EXPECTED as exc:
        raise type(exc)(f"device {device}: {exc}") from None
