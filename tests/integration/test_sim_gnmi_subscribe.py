"""gNMI Subscribe against the simulator with pygnmi: STREAM (SAMPLE, ON_CHANGE, TARGET_DEFINED),
ONCE and POLL, with NETCONF commits (ncclient) driving ON_CHANGE updates."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pygnmi.client import gNMIclient

from lab.support import netconf_connect
from sims.fleet import FleetThread, SimDeviceSpec

# pygnmi's subscriber thread re-raises CANCELLED when its channel closes under a live stream (the
# server, like the reference target, keeps a STREAM going after the client half-closes).
pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning"),
]
IF = "http://openconfig.net/yang/interfaces"
WAIT = 30  # seconds: only a guard against hanging, never asserted on
COUNTER = "interfaces/interface[name=Ethernet1]/state/counters/in-octets"
MS = 1_000_000


@pytest.fixture
def fleet() -> Iterator[FleetThread]:
    with FleetThread([SimDeviceSpec("r1")]) as running:
        yield running


@pytest.fixture
def gc(fleet: FleetThread) -> Iterator[gNMIclient]:
    with gNMIclient(
        target=("127.0.0.1", fleet.gnmi_port("r1")), username="admin", password="admin", insecure=True
    ) as client:
        yield client


def _request(kind: str, path: str, **sub: Any) -> dict[str, Any]:
    return {"mode": kind, "encoding": "json_ietf", "subscription": [{"path": path, **sub}]}


def _values(update: dict[str, Any]) -> dict[str, Any]:
    return {item["path"]: item["val"] for item in update["update"].get("update", [])}


def _describe(fleet: FleetThread, text: str) -> None:
    config = (
        f'<config><interfaces xmlns="{IF}"><interface><name>Ethernet2</name>'
        f"<config><description>{text}</description></config></interface></interfaces></config>"
    )
    with netconf_connect("127.0.0.1", fleet.port("r1")) as m:
        m.edit_config(target="candidate", config=config)
        m.commit()


def test_stream_sample_sends_growing_counters(gc: gNMIclient) -> None:
    path = "/interfaces/interface[name=Ethernet1]/state/counters"
    sub = gc.subscribe2(subscribe=_request("stream", path, mode="sample", sample_interval=50 * MS))
    try:
        first = sub.get_update(timeout=WAIT)
        assert first["sync_response"] is True
        seen = [int(_values(first)[COUNTER])]
        while len(seen) < 3:
            values = _values(sub.get_update(timeout=WAIT))
            if COUNTER in values:
                seen.append(int(values[COUNTER]))
        assert seen == sorted(seen) and seen[-1] > seen[0]
    finally:
        sub.close()


def test_sample_with_suppress_redundant_sends_only_changed_leaves(gc: gNMIclient) -> None:
    request = _request(
        "stream",
        "/interfaces/interface[name=Ethernet1]",
        mode="sample",
        sample_interval=50 * MS,
        suppress_redundant=True,
    )
    sub = gc.subscribe2(subscribe=request)
    try:
        assert "interfaces/interface[name=Ethernet1]/config/name" in _values(sub.get_update(timeout=WAIT))
        later = _values(sub.get_update(timeout=WAIT))
        assert later and all("/state/counters/" in path for path in later)
    finally:
        sub.close()


def test_on_change_reports_a_netconf_commit(fleet: FleetThread, gc: gNMIclient) -> None:
    sub = gc.subscribe2(
        subscribe=_request("stream", "/interfaces/interface[name=Ethernet2]/config", mode="on_change")
    )
    try:
        initial = sub.get_update(timeout=WAIT)
        assert "sync_response" in initial
        assert _values(initial)["interfaces/interface[name=Ethernet2]/config/enabled"] is True
        _describe(fleet, "changed-over-netconf")
        change = _values(sub.get_update(timeout=WAIT))
        assert change == {"interfaces/interface[name=Ethernet2]/config/description": "changed-over-netconf"}
    finally:
        sub.close()


def test_on_change_heartbeat_resends_unchanged_values(gc: gNMIclient) -> None:
    path = "/interfaces/interface[name=Ethernet3]/config/enabled"
    sub = gc.subscribe2(subscribe=_request("stream", path, mode="on_change", heartbeat_interval=50 * MS))
    try:
        sub.get_update(timeout=WAIT)
        assert _values(sub.get_update(timeout=WAIT)) == {path.lstrip("/"): True}
    finally:
        sub.close()


def test_target_defined_samples_counters_and_watches_config(fleet: FleetThread, gc: gNMIclient) -> None:
    request = _request(
        "stream", "/interfaces/interface[name=Ethernet2]", mode="target_defined", sample_interval=50 * MS
    )
    sub = gc.subscribe2(subscribe=request)
    try:
        sub.get_update(timeout=WAIT)
        sampled = _values(sub.get_update(timeout=WAIT))
        assert sampled and all("/state/counters/" in path for path in sampled)
        _describe(fleet, "td")
        description = "interfaces/interface[name=Ethernet2]/config/description"
        while description not in (values := _values(sub.get_update(timeout=WAIT))):
            assert all("/state/counters/" in path for path in values)
        assert values[description] == "td"
    finally:
        sub.close()


def test_updates_only_skips_the_initial_values(gc: gNMIclient) -> None:
    request = _request("stream", "/system/config", mode="on_change")
    request["updates_only"] = True
    sub = gc.subscribe2(subscribe=request)
    try:
        first = sub.get_update(timeout=WAIT)
        assert first["sync_response"] is True and first["update"] == {}
    finally:
        sub.close()


def test_once_sends_updates_then_sync_and_ends(gc: gNMIclient) -> None:
    sub = gc.subscribe2(subscribe=_request("once", "/system/config/hostname"))
    messages = list(sub)
    assert _values(messages[0]) == {"system/config/hostname": "r1"}
    assert messages[-1] == {"sync_response": True}
    sub._subscribe_thread.join(WAIT)
    assert not sub._subscribe_thread.is_alive() and sub.error is None


def test_poll_answers_each_poll_with_updates_and_sync(gc: gNMIclient) -> None:
    sub = gc.subscribe2(
        subscribe=_request("poll", "/interfaces/interface[name=Ethernet1]/state/counters/in-octets")
    )
    try:
        first = sub.get_update(timeout=WAIT)
        second = sub.get_update(timeout=WAIT)
        assert first["sync_response"] is True and second["sync_response"] is True
        assert int(_values(second)[COUNTER]) >= int(_values(first)[COUNTER])
    finally:
        sub.close()
