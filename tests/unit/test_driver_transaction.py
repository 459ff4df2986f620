"""run_transaction's phase and rollback logic, over in-memory devices behind the driver contract."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pytest

from drivers.base import DeviceDriver, DeviceTarget
from drivers.errors import DeviceRejected, InvalidInput, RpcErrorInfo, TransportError
from drivers.nornir_plugins import make_nornir
from drivers.pool import SessionPool
from drivers.registry import DRIVERS
from drivers.transaction import TransactionOutcome, run_transaction


@dataclass
class Device:
    running: str = "old"
    candidate: str = "old"
    before_commit: str | None = None
    locked: bool = False
    fail_on: str = ""  # "open", "stage", "commit" or "confirm"
    sessions: int = 0


DEVICES: dict[str, Device] = {}


class MemoryDriver:
    """A device that keeps candidate/running in memory; just enough of RFC 6241 semantics."""

    def __init__(self, target: DeviceTarget, pool: SessionPool | None = None) -> None:
        self.target = target
        self.dev = DEVICES[target.name]

    def _maybe_fail(self, step: str) -> None:
        if self.dev.fail_on == step:
            info = RpcErrorInfo(type="application", tag="invalid-value", path="/vlan-id", message="5000")
            raise DeviceRejected(self.target.name, info)

    def open(self) -> None:
        if self.dev.fail_on == "open":
            raise TransportError(f"{self.target.name}: connection refused")
        self.dev.sessions += 1

    def close(self) -> None:
        self.dev.sessions -= 1

    def capabilities(self) -> list[str]:
        return []

    def get_config(self, filter_xml: str | None = None) -> str:
        return self.dev.running

    def diff(self, payload: str | None = None) -> str:
        payload = self.dev.candidate if payload is None else payload  # None: what is staged
        return "" if payload == self.dev.running else f"-{self.dev.running}\n+{payload}\n"

    def stage(self, payload: str, *, read_diff: bool = False, key_filters: Sequence[str] = ()) -> None:
        self.dev.locked = True
        self.dev.candidate = payload
        self._maybe_fail("stage")

    def commit(
        self,
        confirm_timeout: int | None = None,
        persist_id: str | None = None,
        *,
        read_after: Sequence[str] = (),
    ) -> None:
        self._maybe_fail("commit")
        self.dev.before_commit, self.dev.running = self.dev.running, self.dev.candidate

    def confirm(self, persist_id: str | None = None) -> None:
        self._maybe_fail("confirm")
        self.dev.before_commit, self.dev.locked = None, False

    def cancel_commit(self, persist_id: str) -> None:
        if self.dev.before_commit is not None:
            self.dev.running, self.dev.before_commit = self.dev.before_commit, None

    def rollback(self, persist_id: str | None = None) -> None:
        if self.dev.before_commit is not None:
            self.dev.running, self.dev.before_commit = self.dev.before_commit, None
        self.dev.candidate, self.dev.locked = self.dev.running, False


@pytest.fixture
def fleet(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[DeviceTarget]]:
    monkeypatch.setitem(DRIVERS, "memory", MemoryDriver)
    names = ["pe1", "pe2", "pe3"]
    DEVICES.clear()
    DEVICES.update({n: Device() for n in names})
    yield [DeviceTarget(n, "127.0.0.1", 830, "memory", "u", "p") for n in names]
    assert all(d.sessions == 0 for d in DEVICES.values()), "connections left open"
    assert not any(d.locked for d in DEVICES.values()), "candidate left locked"


def test_memory_driver_fulfils_the_contract(fleet: list[DeviceTarget]) -> None:
    assert isinstance(MemoryDriver(fleet[0]), DeviceDriver)


PAYLOADS = {"pe1": "new1", "pe2": "new2"}


def _go(targets: list[DeviceTarget], post_check: list[str] | None = None) -> TransactionOutcome:
    check = (lambda: post_check) if post_check is not None else None
    return run_transaction(
        make_nornir(targets), PAYLOADS, confirm_timeout=60, persist_id="t1", post_check=check
    )


def test_all_phases_pass_and_every_device_is_changed(fleet: list[DeviceTarget]) -> None:
    out = _go(fleet, post_check=[])
    assert out.ok and out.phase_failed is None and out.errors == []
    assert {n: DEVICES[n].running for n in ("pe1", "pe2", "pe3")} == {
        "pe1": "new1",
        "pe2": "new2",
        "pe3": "old",
    }
    assert out.hosts["pe1"].changed and out.hosts["pe2"].changed
    assert "pe3" not in out.hosts and not out.hosts["pe1"].rolled_back


@pytest.mark.parametrize("phase", ["stage", "commit", "confirm"])
def test_rejection_rolls_back_the_others(fleet: list[DeviceTarget], phase: str) -> None:
    DEVICES["pe2"].fail_on = phase
    out = _go(fleet)
    assert not out.ok and out.phase_failed == phase
    assert out.hosts["pe2"].failed and out.hosts["pe2"].rolled_back
    assert DEVICES["pe2"].running == "old"
    assert any("pe2" in e and "invalid-value" in e and "/vlan-id" in e and "5000" in e for e in out.errors)
    if phase == "confirm":
        # pe1 confirmed before pe2 refused: it keeps the change and the outcome says so.
        assert DEVICES["pe1"].running == "new1" and out.hosts["pe1"].changed
        assert any("keep the change" in e and "pe1" in e for e in out.errors)
    else:
        assert DEVICES["pe1"].running == "old"
        assert out.hosts["pe1"].rolled_back and not out.hosts["pe1"].changed


def test_failed_post_check_cancels_every_commit(fleet: list[DeviceTarget]) -> None:
    out = _go(fleet, post_check=["pe1 cannot ping pe2"])
    assert not out.ok and out.phase_failed == "post_check"
    assert [DEVICES[n].running for n in PAYLOADS] == ["old", "old"]
    assert all(out.hosts[n].rolled_back and not out.hosts[n].failed for n in PAYLOADS)
    assert out.errors == ["post-check: pe1 cannot ping pe2"]


def test_unreachable_device_fails_stage_and_is_not_rolled_back(fleet: list[DeviceTarget]) -> None:
    DEVICES["pe2"].fail_on = "open"
    out = _go(fleet)
    assert out.phase_failed == "stage"
    assert out.hosts["pe1"].rolled_back and not out.hosts["pe2"].rolled_back
    assert any(e.startswith("pe2: stage failed") and "connection refused" in e for e in out.errors)


def test_unknown_device_is_refused_before_touching_anything(fleet: list[DeviceTarget]) -> None:
    with pytest.raises(InvalidInput, match="nope"):
        run_transaction(make_nornir(fleet), {"pe1": "x", "nope": "y"}, confirm_timeout=60, persist_id="t")
    assert DEVICES["pe1"].candidate == "old"


class MemoryGnmiDriver(MemoryDriver):
    """The same in-memory device model behind the `gnmi` protocol, as `<name>/gnmi`."""

    def __init__(self, target: DeviceTarget, pool: SessionPool | None = None) -> None:
        self.target = target
        self.dev = DEVICES[f"{target.name}/gnmi"]


@pytest.fixture
def two_protocols(fleet: list[DeviceTarget], monkeypatch: pytest.MonkeyPatch) -> list[DeviceTarget]:
    monkeypatch.setattr("drivers.registry.GNMI_DRIVER", MemoryGnmiDriver)
    DEVICES.update({f"{t.name}/gnmi": Device() for t in fleet})
    return fleet


MIXED = {"pe1": {"netconf": "vpn1", "gnmi": "qos1"}, "pe2": {"gnmi": "qos2"}, "pe3": "vpn3"}


def _state() -> dict[str, str]:
    return {name: d.running for name, d in sorted(DEVICES.items())}


def test_participants_over_two_protocols_all_commit(two_protocols: list[DeviceTarget]) -> None:
    out = run_transaction(make_nornir(two_protocols), MIXED, confirm_timeout=60, persist_id="m1")
    assert out.ok, out.errors
    assert _state() == {
        "pe1": "vpn1",
        "pe1/gnmi": "qos1",
        "pe2": "old",
        "pe2/gnmi": "qos2",
        "pe3": "vpn3",
        "pe3/gnmi": "old",
    }
    assert out.hosts["pe1"].protocols == ("netconf", "gnmi") and out.hosts["pe1"].changed
    assert out.hosts["pe1"].confirmed == ("netconf", "gnmi")


@pytest.mark.parametrize("phase", ["stage", "commit"])
@pytest.mark.parametrize("failing", ["pe1/gnmi", "pe1", "pe3"])
def test_any_participant_failing_undoes_every_protocol(
    two_protocols: list[DeviceTarget], phase: str, failing: str
) -> None:
    before = _state()
    DEVICES[failing].fail_on = phase
    out = run_transaction(make_nornir(two_protocols), MIXED, confirm_timeout=60, persist_id="m2")
    # pe1 has both protocols: its gNMI Set lands in the stage phase, before the NETCONF lock
    seen = "stage" if failing == "pe1/gnmi" else phase
    assert not out.ok and out.phase_failed == seen
    assert _state() == before
    who = failing.replace("/gnmi", "[gnmi]")
    assert any(e.startswith(f"{who}: {seen} rejected") for e in out.errors), out.errors
    assert all(not h.changed for h in out.hosts.values())


def test_post_check_failure_restores_both_protocols(two_protocols: list[DeviceTarget]) -> None:
    before = _state()
    out = run_transaction(
        make_nornir(two_protocols), MIXED, confirm_timeout=60, persist_id="m3", post_check=lambda: ["kpi"]
    )
    assert out.phase_failed == "post_check" and _state() == before
    assert all(h.rolled_back for h in out.hosts.values())


def test_unknown_protocol_is_refused(two_protocols: list[DeviceTarget]) -> None:
    with pytest.raises(InvalidInput, match="snmp"):
        run_transaction(
            make_nornir(two_protocols), {"pe1": {"snmp": "x"}}, confirm_timeout=60, persist_id="m4"
        )


def test_a_check_before_commit_that_raises_rolls_back_every_staged_device(fleet: list[DeviceTarget]) -> None:
    """`before_commit` runs once all staged, before any commit: its exception aborts the
    transaction, nothing is committed, and the outcome (with the staged diffs) still comes."""
    seen: list[TransactionOutcome] = []

    def owners() -> None:
        assert all(DEVICES[n].locked and DEVICES[n].running == "old" for n in PAYLOADS)
        raise InvalidInput("pe1: path owned by another resource")

    with pytest.raises(InvalidInput, match="owned by another"):
        run_transaction(
            make_nornir(fleet),
            PAYLOADS,
            confirm_timeout=60,
            persist_id="t1",
            on_outcome=seen.append,
            before_commit=owners,
        )
    assert [DEVICES[n].running for n in PAYLOADS] == ["old", "old"]
    (out,) = seen
    assert out.phase_failed == "aborted" and all(h.rolled_back for h in out.hosts.values())
    assert out.hosts["pe1"].diffs == {"netconf": "-old\n+new1\n"}
