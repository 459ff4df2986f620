"""Network-wide all-or-nothing transaction: stage all -> confirmed commit all -> check -> confirm all.

A participant is one (device, protocol): the same router may take an L3VPN over NETCONF and QoS
over gNMI in one transaction. Each Nornir task works through its host's participants and marks
each one that finished a phase, so any failure undoes exactly the participants that staged or
committed, on every device and over every protocol. (On a device with both, the gNMI Set lands
in the stage phase, before the NETCONF lock: see drivers.tasks.)
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nornir.core import Nornir
from nornir.core.processor import Processor
from nornir.core.task import AggregatedResult, Result, Task

from drivers import tasks
from drivers.errors import DeviceRejected, DriverError, InvalidInput
from drivers.nornir_plugins import connection_name
from drivers.tasks import Marks, normalise


@dataclass(frozen=True)
class HostOutcome:
    """What the transaction left on one device (over all its protocols).

    `changed`: every participant runs the new configuration (confirmed). `rolled_back`: the
    participants that staged or committed were undone. `confirmed`: protocols that confirmed.
    `diffs`: protocol -> the native diff staged (only when the caller observes the outcome).
    """

    changed: bool = False
    failed: bool = False
    error: str | None = None
    rolled_back: bool = False
    protocols: tuple[str, ...] = ("netconf",)
    confirmed: tuple[str, ...] = ()
    diffs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TransactionOutcome:
    ok: bool
    phase_failed: str | None
    hosts: dict[str, HostOutcome] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _who(host: str, protocol: str | None) -> str:
    return host if protocol in (None, "netconf", "napalm") else f"{host}[{protocol}]"


def _describe(who: str, phase: str, exc: BaseException | None) -> str:
    if isinstance(exc, DeviceRejected):
        return f"{who}: {phase} rejected: {exc.error}"
    return f"{who}: {phase} failed: {exc}"


class _Run:
    """Book-keeping for one transaction over the participants in `payloads`."""

    def __init__(self, scope: Nornir, payloads: dict[str, dict[str, str]]) -> None:
        self.scope = scope
        self.payloads = payloads
        self.marks = Marks()
        self.failed: dict[str, str] = {}
        self.errors: list[str] = []

    def record(self, phase: str, result: AggregatedResult) -> bool:
        for host, multi in result.items():
            if multi.failed:
                who = _who(host, self.marks.failed_at.get(host))
                message = _describe(who, phase, multi[0].exception)
                self.failed[host] = message
                self.errors.append(message)
        return not result.failed

    def run(
        self, phase: str, task: Callable[..., Any], only: Collection[str] | None = None, **kwargs: Any
    ) -> bool:
        hosts = self.payloads if only is None else {h: p for h, p in self.payloads.items() if h in only}
        scope = self.scope.filter(filter_func=lambda h: h.name in hosts)
        result = scope.run(task=task, name=phase, payloads=self.payloads, marks=self.marks, **kwargs)
        return self.record(phase, result)

    def _pending(self, host: str) -> bool:
        """Whether a participant of `host` has an open connection and did not confirm."""
        h = self.scope.inventory.hosts[host]
        return any(
            connection_name(p) in h.connections and not self.marks.has("confirm", host, p)
            for p in self.payloads[host]
        )

    def rollback(self, persist_id: str) -> None:
        """Undo every participant holding a connection that did not get to confirm."""
        hosts = [h for h in self.payloads if self._pending(h)]
        if not hosts:
            return
        result = self.scope.filter(filter_func=lambda h: h.name in hosts).run(
            task=tasks.rollback,
            name="rollback",
            persist_id=persist_id,
            payloads=self.payloads,
            marks=self.marks,
            on_good=True,
            on_failed=True,
        )
        for host, multi in result.items():
            if multi.failed:
                self.errors.append(_describe(host, "rollback", multi[0].exception))

    def _done(self, step: str, host: str) -> tuple[str, ...]:
        return tuple(p for p in self.payloads[host] if self.marks.has(step, host, p))

    def outcome(self, phase_failed: str | None) -> TransactionOutcome:
        hosts = {}
        for name, mine in self.payloads.items():
            confirmed = self._done("confirm", name)
            touched = [p for p in mine if self.marks.has("stage", name, p) and p not in confirmed]
            undone = self._done("rollback", name)
            hosts[name] = HostOutcome(
                changed=len(confirmed) == len(mine),
                failed=name in self.failed,
                error=self.failed.get(name),
                rolled_back=bool(undone) and all(p in undone for p in touched),
                protocols=tuple(mine),
                confirmed=confirmed,
                diffs={p: self.marks.diffs[(name, p)] for p in mine if (name, p) in self.marks.diffs},
            )
        return TransactionOutcome(phase_failed is None, phase_failed, hosts, list(self.errors))


def run_transaction(
    nr: Nornir,
    payloads: Mapping[str, str | Mapping[str, str]],
    *,
    confirm_timeout: int,
    persist_id: str,
    post_check: Callable[[], list[str]] | None = None,
    processors: Sequence[Processor] = (),
    on_outcome: Callable[[TransactionOutcome], None] | None = None,
    waves: Sequence[Collection[str]] = (),
    before_commit: Callable[[], None] | None = None,
    read_after_commit: Mapping[str, Sequence[str]] | None = None,
) -> TransactionOutcome:
    """Apply `payloads` to all participants or to none.

    `payloads`: device -> {protocol: payload} (protocols `netconf`, `napalm`, `gnmi`), or
    device -> payload for NETCONF only. Any failure rolls back every touched participant
    (cancel-commit or pre-image restore for committed ones, discard and unlock for staged ones).
    Participants that already confirmed when a later confirm fails keep the change; the outcome
    says so. A device's connections are closed (given back to the pool) as soon as it confirmed,
    the others' at the end. `processors` are added
    to `nr`'s own for the phases of this transaction. `waves`: devices grouped in the order they
    commit (dependencies first; a device in no wave commits in the last one); staging and
    confirming are not ordered. `before_commit` is called once every participant staged, before
    the first commit (e.g. a check that ran beside the stage); an exception from it aborts the
    transaction like any other (every staged participant rolled back) and is raised. (A gNMI Set on
    a device that also has a NETCONF participant lands during stage, see drivers.tasks.)
    `read_after_commit`: device -> subtree filters of running that `post_check` reads first over
    NETCONF (the read-back): each device sends their get-configs in one flight with its confirmed
    commit, and the post-check's `get_config` of the same filter is answered from there.

    `on_outcome` (e.g. the audit trail) is called once with the outcome after the connections
    are closed, also when the transaction is aborted by an exception (phase `aborted`); the
    outcome then carries each participant's staged diff. It must not raise.
    """
    if processors:
        nr = nr.with_processors([*nr.processors, *processors])
    unknown = sorted(set(payloads) - set(nr.inventory.hosts))
    if unknown:
        raise InvalidInput(f"no such devices in the inventory: {', '.join(unknown)}")
    participants = normalise(payloads)
    nr.data.reset_failed_hosts()
    run = _Run(nr.filter(filter_func=lambda h: h.name in participants), participants)
    run.marks.capture_diffs = on_outcome is not None
    outcome: TransactionOutcome | None = None
    try:
        try:
            failed = _phases(
                run, confirm_timeout, persist_id, post_check, waves, before_commit, read_after_commit
            )
        except BaseException as exc:
            run.errors.append(f"transaction aborted: {type(exc).__name__}: {exc}")
            run.rollback(persist_id)
            outcome = run.outcome("aborted")
            raise
        if failed is not None:
            run.rollback(persist_id)
        outcome = run.outcome(failed)
        return outcome
    finally:
        still_open = run.scope.filter(filter_func=lambda h: bool(h.connections))
        if still_open.inventory.hosts:
            still_open.close_connections(on_good=True, on_failed=True)
        release_workers = getattr(nr.runner, "close", None)  # ReusingRunner: a later run starts anew
        if release_workers is not None:
            release_workers()
        if on_outcome is not None and outcome is not None:
            on_outcome(outcome)


def _confirm_then_release(task: Task, **kwargs: Any) -> Result:
    """`tasks.confirm`, then the host's connections go back (to the pool) from this worker
    at once, instead of in one more pass over every host at the end."""
    result = tasks.confirm(task, **kwargs)
    task.host.close_connections()
    return result


def _commit_order(hosts: Collection[str], waves: Sequence[Collection[str]]) -> list[set[str]]:
    ordered = [{h for h in wave if h in hosts} for wave in waves]
    rest = set(hosts).difference(*ordered)
    if ordered and rest:
        ordered[-1] |= rest
    return [w for w in ordered if w] or [set(hosts)]


def _phases(
    run: _Run,
    confirm_timeout: int,
    persist_id: str,
    post_check: Callable[[], list[str]] | None,
    waves: Sequence[Collection[str]] = (),
    before_commit: Callable[[], None] | None = None,
    read_after_commit: Mapping[str, Sequence[str]] | None = None,
) -> str | None:
    """Run the phases in order; the name of the phase that failed, or None."""
    keyed = read_after_commit  # the read-back filters name the keys of the entries edited
    if not run.run(
        "stage", tasks.stage, confirm_timeout=confirm_timeout, persist_id=persist_id, key_filters=keyed
    ):
        return "stage"
    if before_commit is not None:
        before_commit()
    for wave in _commit_order(run.payloads, waves):
        committed = run.run(
            "commit",
            tasks.commit,
            wave,
            confirm_timeout=confirm_timeout,
            persist_id=persist_id,
            read_after=read_after_commit,
        )
        if not committed:
            return "commit"
    if post_check is not None:
        try:
            problems = post_check()
        except DriverError as e:
            problems = [f"post-check could not run: {e}"]
        if problems:
            run.errors.extend(f"post-check: {p}" for p in problems)
            return "post_check"
    if not run.run("confirm", _confirm_then_release, persist_id=persist_id):
        kept = sorted(
            _who(h, p) for h, mine in run.payloads.items() for p in mine if run.marks.has("confirm", h, p)
        )
        if kept:
            run.errors.append(f"already confirmed, keep the change: {', '.join(kept)}")
        return "confirm"
    return None
