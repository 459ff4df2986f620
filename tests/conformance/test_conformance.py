"""One driver contract, one suite: every (server, driver) backend passes the same tests.

The device's running items are read back without the driver under test (see backends.py).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace

import pytest

from drivers.base import DeviceDriver
from drivers.errors import DeviceRejected, TransportError
from lab.backends import Backend

pytestmark = pytest.mark.integration


@pytest.fixture
def driver(backend: Backend) -> Iterator[DeviceDriver]:
    d = backend.driver()
    d.open()
    yield d
    d.close()


def test_driver_fulfils_the_protocol(driver: DeviceDriver) -> None:
    assert isinstance(driver, DeviceDriver)


def test_open_announces_base_capabilities(backend: Backend, driver: DeviceDriver) -> None:
    caps = driver.capabilities()
    if backend.protocol == "gnmi":  # gNMI version, then the negotiated encoding (JSON_IETF first)
        assert caps[0].startswith("gnmi:0.") and caps[1] == "encoding:json_ietf", caps
    else:
        assert any(c.startswith("urn:ietf:params:netconf:base:1.") for c in caps), caps


def test_get_config_with_and_without_a_filter(backend: Backend, driver: DeviceDriver) -> None:
    driver.stage(backend.payload(1))
    driver.commit()
    scoped = backend.top_level_names(driver.get_config(backend.scope))
    assert scoped == ["interfaces"]
    everything = backend.top_level_names(driver.get_config())
    assert "interfaces" in everything and len(everything) >= len(scoped)


def test_stage_then_commit_is_visible_in_running(backend: Backend, driver: DeviceDriver) -> None:
    driver.stage(backend.payload(1))
    driver.commit()
    assert backend.items() >= {_key(backend, 1)}
    driver.stage(backend.payload(2))
    driver.commit()
    assert backend.items() >= {_key(backend, 1), _key(backend, 2)}


def test_confirmed_commit_then_confirm_keeps_the_change(backend: Backend, driver: DeviceDriver) -> None:
    if backend.confirmed_commit:
        pytest.skip(backend.confirmed_commit)
    driver.stage(backend.payload(3))
    driver.commit(confirm_timeout=120, persist_id="conf-1")
    assert _key(backend, 3) in backend.items()
    driver.confirm(persist_id="conf-1")
    driver.close()
    assert _key(backend, 3) in backend.items()


def test_rollback_after_stage_leaves_running_unchanged(backend: Backend, driver: DeviceDriver) -> None:
    before = backend.items()
    driver.stage(backend.payload(4))
    driver.rollback(persist_id="conf-2")
    assert backend.items() == before
    if backend.netconf_only:
        return
    with backend.other_session() as other:  # the lock was released
        other.lock(target=backend.lock_datastore)
        other.unlock(target=backend.lock_datastore)


def test_rollback_after_confirmed_commit_restores_running(backend: Backend, driver: DeviceDriver) -> None:
    if backend.confirmed_commit:
        pytest.skip(backend.confirmed_commit)
    before, whole = backend.items(), _snapshot(backend)
    driver.stage(backend.payload(5))
    driver.commit(confirm_timeout=120, persist_id="conf-3")
    assert _key(backend, 5) in backend.items()
    driver.rollback(persist_id="conf-3")
    assert backend.items() == before
    assert _snapshot(backend) == whole  # exactly as before, not only the items


def test_dry_run_diff_shows_the_change_and_changes_nothing(backend: Backend, driver: DeviceDriver) -> None:
    if backend.no_dry_run:
        pytest.skip(backend.no_dry_run)
    whole = _snapshot(backend)
    diff = driver.diff(backend.payload(7))
    assert backend.diff_marker(7) in diff and any(line.startswith("+") for line in diff.splitlines())
    assert _snapshot(backend) == whole
    driver.stage(backend.payload(7))  # the driver is free for a real change afterwards
    driver.commit()
    assert driver.diff(backend.payload(7)) == ""


def test_staged_diff_shows_what_stage_loaded(backend: Backend, driver: DeviceDriver) -> None:
    """`diff()` without a payload, between stage and commit: the audit trail's diff."""
    driver.stage(backend.payload(8))
    diff = driver.diff()
    assert backend.diff_marker(8) in diff, diff
    assert any(line.startswith("+") and not line.startswith("+++") for line in diff.splitlines())
    driver.commit()  # the diff left the staged change in place
    assert _key(backend, 8) in backend.items()


def test_rpc_error_is_device_rejected_with_tag_and_path(backend: Backend, driver: DeviceDriver) -> None:
    before = backend.items()
    with pytest.raises(DeviceRejected) as caught:
        driver.stage(backend.invalid_payload)
        driver.commit()  # gNMI: the device validates the Set (NETCONF refuses at stage)
    err = caught.value.error
    assert caught.value.device == backend.target.name
    assert err.tag == backend.invalid_tag and err.severity == "error"
    assert backend.invalid_path in err.path
    driver.rollback()
    assert backend.items() == before


def test_unreachable_device_is_a_transport_error(backend: Backend) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        port = s.getsockname()[1]
        ghost = replace(backend.target, name="ghost", port=port, gnmi_port=port, timeout=2)
        with pytest.raises(TransportError, match="ghost"):
            backend.driver(ghost).open()


def test_lock_held_by_another_session_is_lock_denied(backend: Backend, driver: DeviceDriver) -> None:
    if backend.netconf_only:
        pytest.skip(backend.netconf_only)
    before = backend.items()
    with backend.other_session() as other:
        other.lock(target=backend.lock_datastore)
        try:
            with pytest.raises(DeviceRejected) as caught:
                driver.stage(backend.payload(6))
            assert caught.value.error.tag == "lock-denied"
            driver.rollback()  # must not unlock or discard what it does not own
        finally:
            other.unlock(target=backend.lock_datastore)
    assert backend.items() == before


def _key(backend: Backend, i: int) -> str:
    return str(i) if backend.kind.startswith("sim") else f"rom{i}"


def _snapshot(backend: Backend) -> str:
    assert backend.snapshot is not None
    return backend.snapshot()
