"""One driver contract, one suite: every (server, driver) backend passes the same tests.

The device's running items are read back without the driver under test (see backends.py).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from drivers.base import DeviceDriver, DeviceTarget
from rom.errors import DeviceRejected, TransportError
from tests.conformance.backends import Backend, top_level_names

pytestmark = pytest.mark.integration


@pytest.fixture
def driver(backend: Backend) -> Iterator[DeviceDriver]:
    d = backend.driver()
    d.open()
    yield d
    d.close()


def test_driver_fulfils_the_protocol(driver: DeviceDriver) -> None:
    assert isinstance(driver, DeviceDriver)


def test_open_announces_base_capabilities(driver: DeviceDriver) -> None:
    caps = driver.capabilities()
    assert any(c.startswith("urn:ietf:params:netconf:base:1.") for c in caps), caps


def test_get_config_with_and_without_a_filter(backend: Backend, driver: DeviceDriver) -> None:
    driver.stage(backend.payload(1))
    driver.commit()
    scoped = top_level_names(driver.get_config(backend.scope))
    assert scoped == ["interfaces"]
    everything = top_level_names(driver.get_config())
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
    with backend.other_session() as other:  # the lock was released
        other.lock(target=backend.lock_datastore)
        other.unlock(target=backend.lock_datastore)


def test_rollback_after_confirmed_commit_restores_running(backend: Backend, driver: DeviceDriver) -> None:
    if backend.confirmed_commit:
        pytest.skip(backend.confirmed_commit)
    before = backend.items()
    driver.stage(backend.payload(5))
    driver.commit(confirm_timeout=120, persist_id="conf-3")
    assert _key(backend, 5) in backend.items()
    driver.rollback(persist_id="conf-3")
    assert backend.items() == before


def test_rpc_error_is_device_rejected_with_tag_and_path(backend: Backend, driver: DeviceDriver) -> None:
    before = backend.items()
    with pytest.raises(DeviceRejected) as caught:
        driver.stage(backend.invalid_payload)
    err = caught.value.error
    assert caught.value.device == backend.target.name
    assert err.tag == backend.invalid_tag and err.severity == "error"
    assert backend.invalid_path in err.path
    driver.rollback()
    assert backend.items() == before


def test_unreachable_device_is_a_transport_error(backend: Backend) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        t = backend.target
        ghost = DeviceTarget(
            "ghost", t.host, s.getsockname()[1], t.platform, t.username, t.password, 5, t.key_file
        )
        with pytest.raises(TransportError, match="ghost"):
            backend.driver(ghost).open()


def test_lock_held_by_another_session_is_lock_denied(backend: Backend, driver: DeviceDriver) -> None:
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
    return str(i) if backend.kind.startswith("sim/") else f"rom{i}"
