"""Network-wide all-or-nothing transaction: stage all -> confirmed commit all -> check -> confirm all."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nornir.core import Nornir
from nornir.core.processor import Processor
from nornir.core.task import AggregatedResult

from drivers import tasks
from drivers.nornir_plugins import CONNECTION
from rom.errors import DeviceRejected, InvalidRequest, RomError


@dataclass(frozen=True)
class HostOutcome:
    """What the transaction left on one device.

    `changed`: the device runs the new configuration (confirmed). `rolled_back`: its staged or
    committed change was undone.
    """

    changed: bool = False
    failed: bool = False
    error: str | None = None
    rolled_back: bool = False


@dataclass(frozen=True)
class TransactionOutcome:
    ok: bool
    phase_failed: str | None
    hosts: dict[str, HostOutcome] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _describe(host: str, phase: str, exc: BaseException | None) -> str:
    if isinstance(exc, DeviceRejected):
        return f"{host}: {phase} rejected: {exc.error}"
    return f"{host}: {phase} failed: {exc}"


class _Run:
    """Book-keeping for one transaction over the hosts in `scope`."""

    def __init__(self, scope: Nornir) -> None:
        self.scope = scope
        self.done: dict[str, set[str]] = {"stage": set(), "commit": set(), "confirm": set()}
        self.failed: dict[str, str] = {}
        self.rolled_back: set[str] = set()
        self.errors: list[str] = []

    def on(self, hosts: Collection[str]) -> Nornir:
        return self.scope.filter(filter_func=lambda h: h.name in hosts)

    def record(self, phase: str, result: AggregatedResult) -> bool:
        for host, multi in result.items():
            if multi.failed:
                message = _describe(host, phase, multi[0].exception)
                self.failed[host] = message
                self.errors.append(message)
            elif phase in self.done:
                self.done[phase].add(host)
        return not result.failed

    def run(self, phase: str, task: Callable[..., Any], hosts: Collection[str], **kwargs: Any) -> bool:
        return self.record(phase, self.on(hosts).run(task=task, name=phase, **kwargs))

    def rollback(self, persist_id: str) -> None:
        """Undo every host holding a session that did not get to confirm."""
        hosts = [
            h.name
            for h in self.scope.inventory.hosts.values()
            if CONNECTION in h.connections and h.name not in self.done["confirm"]
        ]
        if not hosts:
            return
        result = self.on(hosts).run(
            task=tasks.rollback, name="rollback", persist_id=persist_id, on_good=True, on_failed=True
        )
        for host, multi in result.items():
            if multi.failed:
                self.errors.append(_describe(host, "rollback", multi[0].exception))
            else:
                self.rolled_back.add(host)

    def outcome(self, phase_failed: str | None) -> TransactionOutcome:
        hosts = {
            name: HostOutcome(
                changed=name in self.done["confirm"],
                failed=name in self.failed,
                error=self.failed.get(name),
                rolled_back=name in self.rolled_back,
            )
            for name in self.scope.inventory.hosts
        }
        return TransactionOutcome(phase_failed is None, phase_failed, hosts, list(self.errors))


def run_transaction(
    nr: Nornir,
    payloads: Mapping[str, str],
    *,
    confirm_timeout: int,
    persist_id: str,
    post_check: Callable[[], list[str]] | None = None,
    processors: Sequence[Processor] = (),
) -> TransactionOutcome:
    """Apply `payloads` (device name -> `<config>`) to all devices or to none.

    Any failure rolls back every touched device (cancel-commit for committed ones, discard and
    unlock for staged ones). Devices that already confirmed when a later confirm fails keep the
    change; the outcome says so. Connections are closed (given back to the pool) at the end.
    `processors` are added to `nr`'s own for the phases of this transaction.
    """
    if processors:
        nr = nr.with_processors([*nr.processors, *processors])
    unknown = sorted(set(payloads) - set(nr.inventory.hosts))
    if unknown:
        raise InvalidRequest(f"no such devices in the inventory: {', '.join(unknown)}")
    nr.data.reset_failed_hosts()
    names = list(payloads)
    run = _Run(nr.filter(filter_func=lambda h: h.name in payloads))
    try:
        try:
            failed = _phases(run, names, payloads, confirm_timeout, persist_id, post_check)
        except BaseException:
            run.rollback(persist_id)
            raise
        if failed is not None:
            run.rollback(persist_id)
        return run.outcome(failed)
    finally:
        run.scope.close_connections(on_good=True, on_failed=True)


def _phases(
    run: _Run,
    names: list[str],
    payloads: Mapping[str, str],
    confirm_timeout: int,
    persist_id: str,
    post_check: Callable[[], list[str]] | None,
) -> str | None:
    """Run the phases in order; the name of the phase that failed, or None."""
    if not run.run("stage", tasks.stage, names, payloads=payloads):
        return "stage"
    commit_args = {"confirm_timeout": confirm_timeout, "persist_id": persist_id}
    if not run.run("commit", tasks.commit, names, **commit_args):
        return "commit"
    if post_check is not None:
        try:
            problems = post_check()
        except RomError as e:
            problems = [f"post-check could not run: {e}"]
        if problems:
            run.errors.extend(f"post-check: {p}" for p in problems)
            return "post_check"
    if not run.run("confirm", tasks.confirm, names, persist_id=persist_id):
        kept = sorted(run.done["confirm"])
        if kept:
            run.errors.append(f"already confirmed, keep the change: {', '.join(kept)}")
        return "confirm"
    return None
