"""Credentials references resolved at use: environment, secrets file, its permissions, unknown names."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from core.errors import InvalidRequest, NotFound, RomError
from core.secrets import Credentials, device_credentials, env_name, resolve
from core.settings import Settings

DEFAULT = Credentials("admin", "default-pw")
SECRET = "s3cr3t-Zq9-unit"


def secrets_file(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "secrets.yaml"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_empty_reference_is_the_default() -> None:
    assert resolve("", DEFAULT, None, environ={}) is DEFAULT


def test_environment_names_are_upper_case_with_underscores() -> None:
    assert env_name("core-admin", "PASSWORD") == "ROM_SECRET_CORE_ADMIN_PASSWORD"
    env = {"ROM_SECRET_CORE_ADMIN_USERNAME": "ops", "ROM_SECRET_CORE_ADMIN_PASSWORD": SECRET}
    assert resolve("core-admin", DEFAULT, None, environ=env) == Credentials("ops", SECRET)


def test_environment_wins_over_the_file(tmp_path: Path) -> None:
    path = secrets_file(tmp_path, "core: {username: file-user, password: file-pw}\n")
    env = {"ROM_SECRET_CORE_USERNAME": "env-user", "ROM_SECRET_CORE_PASSWORD": "env-pw"}
    assert resolve("core", DEFAULT, path, environ=env).username == "env-user"
    assert resolve("core", DEFAULT, path, environ={}) == Credentials("file-user", "file-pw")


def test_file_entry_with_a_key_file(tmp_path: Path) -> None:
    path = secrets_file(tmp_path, "edge: {username: netops, key_file: /etc/rom/id_ed25519}\n")
    creds = resolve("edge", DEFAULT, path, environ={})
    assert (creds.username, creds.password, creds.key_file) == ("netops", "", "/etc/rom/id_ed25519")


def test_file_changes_are_seen_at_the_next_use(tmp_path: Path) -> None:
    path = secrets_file(tmp_path, "core: {username: a, password: one}\n")
    assert resolve("core", DEFAULT, path, environ={}).password == "one"
    path.write_text("core: {username: a, password: rotated-two}\n")
    assert resolve("core", DEFAULT, path, environ={}).password == "rotated-two"


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_file_open_to_group_or_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = secrets_file(tmp_path, f"core: {{username: a, password: {SECRET}}}\n", mode)
    with pytest.raises(RomError, match=f"accessible by group or others.*chmod 600 {path}") as err:
        resolve("core", DEFAULT, path, environ={})
    assert SECRET not in str(err.value)


def test_unknown_reference_names_the_reference_not_a_value(tmp_path: Path) -> None:
    path = secrets_file(tmp_path, f"core: {{username: a, password: {SECRET}}}\n")
    with pytest.raises(NotFound, match="credentials 'edge-admin' are not defined") as err:
        resolve("edge-admin", DEFAULT, path, environ={"ROM_SECRET_CORE_PASSWORD": SECRET})
    assert f"looked in ROM_SECRET_EDGE_ADMIN_* and {path}" in str(err.value)
    assert SECRET not in str(err.value)


def test_device_credentials_name_the_device() -> None:
    settings = Settings(device_username="u", device_password=SecretStr("p"), secrets_file=None)
    assert device_credentials("pe1", "", settings) == Credentials("u", "p")
    with pytest.raises(NotFound, match=r"device pe1: credentials 'nope' are not defined .*FILE is not set"):
        device_credentials("pe1", "nope", settings)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("core: {password: x}\n", "'core' in .* have no username"),
        ("core: {username: a}\n", "need a password or a key_file"),
        ("core: just-a-string\n", "must be a mapping"),
        ("- a\n- b\n", "must map reference names"),
        (f"core: {{username: a, password: {SECRET}\n", "not valid YAML .* at line"),
        (f"core: {{username: a, password: *{SECRET}}}\n", "not valid YAML .* at line 1"),  # an alias
    ],
)
def test_malformed_entries_are_clear_errors_without_values(tmp_path: Path, text: str, fragment: str) -> None:
    path = secrets_file(tmp_path, text)
    with pytest.raises(RomError, match=fragment) as err:
        resolve("core", DEFAULT, path, environ={})
    assert SECRET not in str(err.value)


def test_missing_file_and_bad_names(tmp_path: Path) -> None:
    with pytest.raises(RomError, match="cannot read ROM_SECRETS_FILE"):
        resolve("core", DEFAULT, tmp_path / "absent.yaml", environ={})
    with pytest.raises(InvalidRequest, match="is not a name"):
        resolve("../etc/passwd", DEFAULT, None, environ={})


def test_credentials_repr_hides_the_password() -> None:
    assert SECRET not in repr(Credentials("a", SECRET))
