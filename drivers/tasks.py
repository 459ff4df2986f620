"""Nornir tasks over the `rom` / `rom-gnmi` connections; exceptions propagate so Nornir marks the
host failed.

Payloads are `device -> {protocol: payload}` (or `device -> payload`, meaning NETCONF); one task
works through the host's participants and, when given a `Marks`, records each (device, protocol)
that finished the step, so a transaction knows exactly which participants to undo.

One device, two protocols: a NETCONF participant holds the candidate lock from stage to confirm,
and devices refuse a gNMI Set while a NETCONF lock is held (the simulator does: FAILED_PRECONDITION).
So on a device that also has a NETCONF-family participant, the gNMI participant applies its Set
during the stage phase, before the lock is taken (kept revertible by its pre-image, exactly as
after a commit), and confirm / rollback work NETCONF first, gNMI last, after the lock is released.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from nornir.core.task import Result, Task

from drivers.base import DeviceDriver
from drivers.errors import DriverError, InvalidInput
from drivers.nornir_plugins import connection_name, driver_of
from drivers.registry import PROTOCOLS

log = logging.getLogger(__name__)

Participant = tuple[str, str]  # (device, protocol)


AnyPayloads = Mapping[str, str | Mapping[str, str]]


def participants(device: str, value: str | Mapping[str, str]) -> dict[str, str]:
    """One device's `{protocol: payload}` in protocol order; a bare string is NETCONF."""
    per = {"netconf": value} if isinstance(value, str) else dict(value)
    unknown = sorted(set(per) - set(PROTOCOLS))
    if unknown or not per:
        raise InvalidInput(f"{device}: payload protocols must be some of {PROTOCOLS}, got {unknown}")
    return {p: per[p] for p in PROTOCOLS if p in per}


def normalise(payloads: AnyPayloads) -> dict[str, dict[str, str]]:
    """`device -> {protocol: payload}` for every device (see `participants`)."""
    return {device: participants(device, value) for device, value in payloads.items()}


@dataclass
class Marks:
    """Which participants finished which step (thread-safe: tasks run in Nornir's workers)."""

    done: dict[str, set[Participant]] = field(default_factory=dict)
    failed_at: dict[str, str] = field(default_factory=dict)  # device -> protocol that failed
    capture_diffs: bool = False  # stage also records each participant's native diff (audit trail)
    diffs: dict[Participant, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, step: str, device: str, protocol: str) -> None:
        with self._lock:
            self.done.setdefault(step, set()).add((device, protocol))

    def fail(self, device: str, protocol: str) -> None:
        with self._lock:
            self.failed_at[device] = protocol

    def has(self, step: str, device: str, protocol: str) -> bool:
        with self._lock:
            return (device, protocol) in self.done.get(step, set())

    def diff(self, device: str, protocol: str, text: str) -> None:
        with self._lock:
            self.diffs[(device, protocol)] = text


def _mine(task: Task, payloads: AnyPayloads | None) -> dict[str, str]:
    if payloads is None:
        return {"netconf": ""}
    try:
        return participants(task.host.name, payloads[task.host.name])
    except KeyError:
        raise InvalidInput(f"{task.host.name}: no payload for this device") from None


GNMI_FIRST = ("stage", "commit", "diff")  # steps that take gNMI before NETCONF


def mixed(protocols: Iterable[str]) -> bool:
    """Whether a device has a gNMI and a NETCONF-family (lock-holding) participant."""
    found = set(protocols)
    return "gnmi" in found and bool(found - {"gnmi"})


def _each(
    task: Task, payloads: AnyPayloads | None, step: str, marks: Marks | None
) -> Iterable[tuple[str, str]]:
    """The host's (protocol, payload) pairs in the step's order; the step is marked done for each
    the caller finishes. Participants already marked done for the step are skipped."""
    mine = _mine(task, payloads)
    order = sorted(mine, key=lambda p: (p == "gnmi") != (step in GNMI_FIRST))
    for protocol in order:
        if marks is not None and marks.has(step, task.host.name, protocol):
            continue
        if marks is not None:
            marks.fail(task.host.name, protocol)  # cleared below once the step is through
        yield protocol, mine[protocol]
        if marks is not None:
            marks.add(step, task.host.name, protocol)
    if marks is not None:
        marks.failed_at.pop(task.host.name, None)


def stage(
    task: Task,
    payloads: AnyPayloads,
    marks: Marks | None = None,
    confirm_timeout: int | None = None,
    persist_id: str | None = None,
    key_filters: Mapping[str, Sequence[str]] | None = None,
) -> Result:
    """Load this host's payload for each of its protocols (candidate lock / prepared Set).

    With `marks` and a `confirm_timeout`, a gNMI participant on a mixed device (see the module
    docstring) also commits here, before the NETCONF lock; the commit phase then skips it.
    With `marks.capture_diffs`, each participant's staged diff is recorded in `marks` (a diff
    that cannot be read is logged and recorded as unavailable: the change goes on).
    `key_filters`: host -> subtree filters naming list keys, so the diff reads only the entries
    edited (see `DeviceDriver.stage`)."""
    config = task.nornir.config
    keyed = (key_filters or {}).get(task.host.name, ())
    early = marks is not None and confirm_timeout is not None and mixed(_mine(task, payloads))
    want_diff = marks is not None and marks.capture_diffs
    for protocol, payload in _each(task, payloads, "stage", marks):
        driver = driver_of(task.host, config, protocol)
        driver.stage(
            payload, read_diff=want_diff, key_filters=keyed
        )  # NETCONF: the diff's reads in the edit's flight
        if marks is not None and want_diff:
            marks.diff(task.host.name, protocol, _staged_diff(driver, task.host.name))
        if early and protocol == "gnmi":
            assert marks is not None
            driver.commit(confirm_timeout=confirm_timeout, persist_id=persist_id)
            marks.add("commit", task.host.name, protocol)
    return Result(host=task.host, changed=True, result="staged")


def _staged_diff(driver: DeviceDriver, device: str) -> str:
    try:
        return driver.diff()
    except DriverError as e:
        log.warning("%s: staged diff unavailable for the audit trail: %s", device, e)
        return f"(diff unavailable: {e})"


def commit(
    task: Task,
    confirm_timeout: int | None = None,
    persist_id: str | None = None,
    payloads: AnyPayloads | None = None,
    marks: Marks | None = None,
    read_after: Mapping[str, Sequence[str]] | None = None,
) -> Result:
    """Commit every participant; confirmed (reverting after `confirm_timeout` s) when a timeout
    is given. Without `payloads`, the host's NETCONF connection only. `read_after`: host ->
    running's subtree filters read next over NETCONF (sent in the confirmed commit's flight)."""
    config = task.nornir.config
    reads = (read_after or {}).get(task.host.name, ()) if confirm_timeout is not None else ()
    for protocol, _ in _each(task, payloads, "commit", marks):
        driver = driver_of(task.host, config, protocol)
        driver.commit(confirm_timeout=confirm_timeout, persist_id=persist_id, read_after=reads)
    return Result(host=task.host, changed=True, result="committed")


def confirm(
    task: Task,
    persist_id: str | None = None,
    payloads: AnyPayloads | None = None,
    marks: Marks | None = None,
) -> Result:
    """Confirm every participant's pending confirmed commit."""
    config = task.nornir.config
    for protocol, _ in _each(task, payloads, "confirm", marks):
        driver_of(task.host, config, protocol).confirm(persist_id=persist_id)
    return Result(host=task.host, changed=True, result="confirmed")


def rollback(
    task: Task,
    persist_id: str | None = None,
    payloads: AnyPayloads | None = None,
    marks: Marks | None = None,
) -> Result:
    """Undo every participant that has an open connection and did not confirm (best effort:
    all are tried; the first failure is raised)."""
    config = task.nornir.config
    name = task.host.name
    errors: list[Exception] = []
    for protocol in sorted(_mine(task, payloads), key=lambda p: p == "gnmi"):  # NETCONF unlocks first
        if connection_name(protocol) not in task.host.connections:
            continue  # never opened: nothing of ours on the device
        if marks is not None and marks.has("confirm", name, protocol):
            continue
        try:
            driver_of(task.host, config, protocol).rollback(persist_id=persist_id)
        except Exception as e:  # noqa: BLE001 - the other participants still get their rollback
            errors.append(e)
            continue
        if marks is not None:
            marks.add("rollback", name, protocol)
    if errors:
        raise errors[0]
    return Result(host=task.host, changed=True, result="rolled back")


def get_config(task: Task, filter_xml: str | None = None, protocol: str = "netconf") -> Result:
    """Running configuration (`<data>` XML over NETCONF, JSON over gNMI)."""
    data = driver_of(task.host, task.nornir.config, protocol).get_config(filter_xml)
    return Result(host=task.host, result=data)


def diff(task: Task, payloads: AnyPayloads) -> Result:
    """Dry-run: {protocol: native diff} of this host's payloads; the device is left unchanged."""
    config = task.nornir.config
    out = {
        p: driver_of(task.host, config, p).diff(text)
        for p, text in _each(task, normalise(payloads), "diff", None)
    }
    return Result(host=task.host, changed=any(out.values()), result=out)
