"""Failure-injection matrix for the network-wide transaction (issue 4, "Done when").

The 5G slice of `test_catalog_5g_slice` (upf1, smf1: NETCONF; gnb1: gNMI; pe1: NETCONF + gNMI)
goes through `run_transaction` while one device fails at one step: stage, commit, post-check or
confirm, for a NETCONF and for a gNMI participant. Faults are real: a candidate lock held by
another session, a value the device refuses, `fail-commit` faults through the fleet's control API
(HTTP), a post-check that reports a problem. Afterwards every device's whole running datastore is
read inside the simulator and compared byte for byte with what it was before.

The one exception is the design's, and the tests say it precisely: confirm runs on all devices in
parallel, so when one device's confirm fails the others have already confirmed. They keep the
change (`run_transaction` does not undo a confirmed commit) and the outcome names them in
"already confirmed, keep the change: ..."; the failing device itself is rolled back.

gNMI has no confirmed commit: the driver emulates it (drivers/gnmi.py) and `confirm` sends
nothing, so a device cannot fail a gNMI confirm. What can fail is the emulated timeout: a confirm
arriving after `confirm_timeout` restores the pre-image and fails, while the NETCONF devices have
reverted by themselves. That is the gNMI confirm case here (it hits every device, not one).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from drivers.nornir_plugins import make_nornir
from drivers.pool import SessionPool
from drivers.transaction import TransactionOutcome, run_transaction
from intent.planner import participant_payloads
from lab.support import netconf_connect
from sims.fleet import FleetThread, SimDeviceSpec
from tests.integration.test_catalog_5g_slice import DEVICES, plan, running, slice_order, targets

pytestmark = pytest.mark.integration
CONFIRM_TIMEOUT = 120


@pytest.fixture
def fleet() -> Iterator[FleetThread]:
    with FleetThread([SimDeviceSpec(name, model) for name, model in DEVICES.items()]) as up:
        yield up


@pytest.fixture(scope="module")
def after() -> dict[str, str]:
    """Every device's running datastore after the slice went through, on a fleet of its own."""
    with FleetThread([SimDeviceSpec(name, model) for name, model in DEVICES.items()]) as other:
        pool = SessionPool()
        out = run_transaction(
            make_nornir(targets(other), pool=pool),
            participant_payloads(plan(other, slice_order())),
            confirm_timeout=CONFIRM_TIMEOUT,
            persist_id="reference",
        )
        pool.close_all()
        assert out.ok, out.errors
        return running(other)


def inject(fleet: FleetThread, **fault: object) -> None:
    assert fleet.control_url is not None
    response = httpx.post(f"{fleet.control_url}/faults", json=fault, timeout=10)
    assert response.status_code == 201, response.text


def pending(fleet: FleetThread) -> list[str]:
    return fleet.call(lambda f: [n for n in DEVICES if f.device(n).datastore.confirmed_commit_pending])


@dataclass
class Case:
    """One injected failure: `arm` runs before the transaction and returns a clean-up (or None),
    `in_post_check` runs inside the post-check; `payload` rewrites one device's payloads."""

    phase: str
    error: str  # the start of the error the outcome reports for the failing participant
    arm: Callable[[FleetThread], Callable[[], None] | None] = lambda _: None
    in_post_check: Callable[[FleetThread], list[str]] = lambda _: []
    payload: Callable[[dict[str, dict[str, str]]], None] = lambda _: None


def hold_candidate_lock(device: str) -> Callable[[FleetThread], Callable[[], None]]:
    def arm(fleet: FleetThread) -> Callable[[], None]:
        ep = fleet.endpoint(device)
        m = netconf_connect(ep.host, ep.netconf_port, timeout=10)
        m.lock("candidate")
        return lambda: m.close_session()

    return arm


def fail_commit(device: str) -> Callable[[FleetThread], None]:
    def arm(fleet: FleetThread) -> None:
        inject(fleet, kind="fail-commit", device=device, message=f"injected on {device}")

    return arm


def fail_confirm(device: str) -> Callable[[FleetThread], list[str]]:
    """Armed from inside the post-check, i.e. after every commit: the next commit-type operation
    on `device` is its confirm (NETCONF `<commit>` with persist-id)."""

    def arm(fleet: FleetThread) -> list[str]:
        fail_commit(device)(fleet)
        return []

    return arm


def replace_value(
    device: str, protocol: str, old: str, new: str
) -> Callable[[dict[str, dict[str, str]]], None]:
    def rewrite(payloads: dict[str, dict[str, str]]) -> None:
        assert old in payloads[device][protocol]
        payloads[device][protocol] = payloads[device][protocol].replace(old, new)

    return rewrite


# Rolled back everywhere: every device must read back exactly as before.
ALL_OR_NOTHING = {
    "stage-netconf-lock-held": Case("stage", "upf1: stage rejected", arm=hold_candidate_lock("upf1")),
    "stage-netconf-invalid-value": Case(
        "stage",
        "smf1: stage rejected",
        payload=replace_value("smf1", "netconf", "factory.urllc", "bad value with spaces"),
    ),
    # pe1 has a NETCONF participant too, so its gNMI Set is applied in the stage phase.
    "stage-gnmi-set-refused": Case("stage", "pe1[gnmi]: stage rejected", arm=fail_commit("pe1")),
    "stage-gnmi-invalid-payload": Case(
        "stage",
        "gnb1[gnmi]: stage failed",
        payload=lambda p: p["gnb1"].update(gnmi='{"update": "not a list"}'),
    ),
    "commit-netconf": Case("commit", "smf1: commit rejected", arm=fail_commit("smf1")),
    "commit-gnmi": Case("commit", "gnb1[gnmi]: commit rejected", arm=fail_commit("gnb1")),
    "commit-gnmi-invalid-value": Case(
        "commit",
        "gnb1[gnmi]: commit rejected",
        payload=replace_value("gnb1", "gnmi", '"urllc-1"', '"no spaces allowed here"'),
    ),
    "post-check-netconf": Case(
        "post_check", "post-check: upf1", in_post_check=lambda _: ["upf1: no session"]
    ),
    "post-check-gnmi": Case(
        "post_check", "post-check: gnb1", in_post_check=lambda _: ["gnb1: PRB share 0 %"]
    ),
}


def transact(
    fleet: FleetThread,
    case: Case,
    confirm_timeout: int = CONFIRM_TIMEOUT,
    post_check: Callable[[], list[str]] | None = None,
) -> TransactionOutcome:
    payloads = participant_payloads(plan(fleet, slice_order()))
    case.payload(payloads)
    release = case.arm(fleet)
    pool = SessionPool()
    try:
        return run_transaction(
            make_nornir(targets(fleet), pool=pool),
            payloads,
            confirm_timeout=confirm_timeout,
            persist_id="faults",
            post_check=post_check or (lambda: case.in_post_check(fleet)),
        )
    finally:
        pool.close_all()
        if release is not None:
            release()


@pytest.mark.parametrize("name", list(ALL_OR_NOTHING))
def test_failure_leaves_every_device_as_it_was(fleet: FleetThread, name: str) -> None:
    case = ALL_OR_NOTHING[name]
    before = running(fleet)
    out = transact(fleet, case)
    assert not out.ok and out.phase_failed == case.phase, out.errors
    assert any(e.startswith(case.error) for e in out.errors), out.errors
    assert not any(h.confirmed for h in out.hosts.values())
    assert running(fleet) == before  # NETCONF and gNMI participants alike, byte for byte
    assert not pending(fleet)


@dataclass(frozen=True)
class Kept:
    failing: str
    case: Case
    kept: str  # the outcome's exact list of participants that keep the change


KEPT = {
    "confirm-netconf": Kept(
        "upf1",
        Case("confirm", "upf1: confirm rejected", in_post_check=fail_confirm("upf1")),
        "already confirmed, keep the change: gnb1[gnmi], pe1, pe1[gnmi], smf1",
    ),
    # pe1 confirms NETCONF first, gNMI last: its NETCONF confirm fails, so its gNMI participant is
    # never confirmed and its pre-image is restored with the rest of pe1.
    "confirm-mixed-device": Kept(
        "pe1",
        Case("confirm", "pe1: confirm rejected", in_post_check=fail_confirm("pe1")),
        "already confirmed, keep the change: gnb1[gnmi], smf1, upf1",
    ),
}


@pytest.mark.parametrize("name", list(KEPT))
def test_failed_confirm_rolls_back_its_device_and_reports_the_others_as_kept(
    fleet: FleetThread, after: dict[str, str], name: str
) -> None:
    """By design, not all or nothing: the others confirmed in parallel and keep the change."""
    kept = KEPT[name]
    before = running(fleet)
    out = transact(fleet, kept.case)
    assert not out.ok and out.phase_failed == "confirm"
    assert any(e.startswith(kept.case.error) for e in out.errors), out.errors
    assert kept.kept in out.errors, out.errors
    failing = out.hosts[kept.failing]
    assert failing.failed and failing.rolled_back and failing.confirmed == () and not failing.changed
    for device in set(DEVICES) - {kept.failing}:
        host = out.hosts[device]
        assert host.changed and not host.failed and host.confirmed == host.protocols, (device, host)
    now = running(fleet)
    assert now[kept.failing] == before[kept.failing]
    assert {d: now[d] for d in DEVICES if d != kept.failing} == {
        d: after[d] for d in DEVICES if d != kept.failing
    }
    assert not pending(fleet)


def test_gnmi_confirm_after_the_timeout_restores_and_netconf_devices_revert(fleet: FleetThread) -> None:
    """The emulated gNMI confirm fails once `confirm_timeout` has passed (pre-image restored); the
    NETCONF devices' confirmed commits ran out at the same time and reverted on the devices."""
    before = running(fleet)

    def slow_post_check() -> list[str]:
        time.sleep(1.5)
        return []

    out = transact(fleet, Case("confirm", ""), confirm_timeout=1, post_check=slow_post_check)
    assert not out.ok and out.phase_failed == "confirm", out.errors
    assert any(e.startswith("gnb1[gnmi]: confirm rejected") and "timeout expired" in e for e in out.errors)
    assert not any(h.confirmed for h in out.hosts.values())
    assert not any(e.startswith("already confirmed") for e in out.errors)
    assert running(fleet) == before
    assert not pending(fleet)
