"""The protocol-neutral configuration engine: running and candidate, locks, edits, commits.

Trees held here are never mutated in place: every change is made on a copy which is swapped in
when it succeeded, so many devices can share one initial tree and readers may keep references.
A NETCONF or gNMI front end calls these methods from its single event loop.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from lxml import etree

from sims.edit import DEFAULT_OPERATIONS, EditApplier, validate_tree
from sims.errors import RpcError, protocol_error
from sims.locks import LockTable
from sims.schema import Schema

log = logging.getLogger(__name__)

RUNNING = "running"
CANDIDATE = "candidate"
DATASTORES = (RUNNING, CANDIDATE)
DEFAULT_CONFIRM_TIMEOUT = 600
TEST_OPTIONS = frozenset({"test-then-set", "set", "test-only"})
ERROR_OPTIONS = frozenset({"stop-on-error", "rollback-on-error", "continue-on-error"})


class Cancellable(Protocol):
    """What a scheduler returns (``asyncio.TimerHandle`` fits)."""

    def cancel(self) -> None: ...


Scheduler = Callable[[float, Callable[[], object]], Cancellable]


@dataclass
class PendingCommit:
    """A confirmed commit waiting for its confirming commit."""

    rollback: etree._Element
    session_id: int
    persist: str | None
    deadline: float
    timer: Cancellable | None = None


class Datastore:
    """Running and candidate configuration of one device."""

    def __init__(
        self,
        schema: Schema,
        initial: etree._Element,
        *,
        writable_running: bool = False,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        scheduler: Scheduler | None = None,
    ) -> None:
        self.schema = schema
        self.writable_running = writable_running
        self._clock = clock
        self._wall_clock = wall_clock
        self.scheduler = scheduler
        self._running = initial
        self._running_xml: bytes | None = None  # running serialized (trees are never mutated)
        self._candidate: etree._Element | None = None  # None: same as running
        self._locks = LockTable()
        self._dirty: set[int] = set()
        self._pending: PendingCommit | None = None
        self._valid: etree._Element | None = None  # the last tree that passed validation
        self.change_count = 0
        self.last_change = wall_clock()
        self.listeners: list[Callable[[], None]] = []  # called after every change of running

    # -- reading -------------------------------------------------------------------------------
    @property
    def running(self) -> etree._Element:
        """The running tree (do not mutate)."""
        self.expire()
        return self._running

    @property
    def candidate(self) -> etree._Element:
        """The candidate tree (do not mutate)."""
        self.expire()
        return self._running if self._candidate is None else self._candidate

    def config(self, source: str) -> etree._Element:
        """The tree of a named datastore."""
        self._check_name(source)
        return self.running if source == RUNNING else self.candidate

    @property
    def confirmed_commit_pending(self) -> bool:
        """Whether a confirmed commit awaits confirmation."""
        self.expire()
        return self._pending is not None

    def lock_owner(self, target: str) -> int | None:
        """The session holding a datastore's lock, if any."""
        return self._locks.owner(target)

    # -- locks ---------------------------------------------------------------------------------
    def lock(self, target: str, session_id: int) -> None:
        """RFC 6241 §7.5 lock."""
        self._check_name(target)
        self.expire()
        if target == CANDIDATE and self._locks.owner(target) is None and self._dirty - {session_id}:
            raise protocol_error("lock-denied", "candidate has uncommitted changes", **{"session-id": "0"})
        self._locks.acquire(target, session_id)

    def unlock(self, target: str, session_id: int) -> None:
        """RFC 6241 §7.6 unlock."""
        self._check_name(target)
        self._locks.release(target, session_id)

    # -- editing -------------------------------------------------------------------------------
    def edit(
        self,
        target: str,
        config: etree._Element,
        session_id: int,
        *,
        default_operation: str = "merge",
        test_option: str = "test-then-set",
        error_option: str = "stop-on-error",
    ) -> None:
        """RFC 6241 §7.2 edit-config: ``config`` is the ``<config>`` element. An edit of running is
        validated whole, with the YANG semantic constraints (candidate: at commit or validate)."""
        self._check_writable(target, session_id)
        if default_operation not in DEFAULT_OPERATIONS:
            raise _bad_value("default-operation", default_operation)
        if test_option not in TEST_OPTIONS:
            raise _bad_value("test-option", test_option)
        if error_option not in ERROR_OPTIONS:
            raise _bad_value("error-option", error_option)
        work = copy.deepcopy(self.config(target))
        if default_operation == "replace":
            for child in list(work):
                work.remove(child)
            default_operation = "merge"
        applier = EditApplier(
            self.schema,
            check_values=test_option != "set",
            continue_on_error=error_option == "continue-on-error",
        )
        errors = applier.apply(work, config, default_operation)
        if target == RUNNING and test_option != "set" and not errors:
            self._raise_invalid(work)  # running is always valid (RFC 6241 §8.2, §8.6.3)
        if test_option != "test-only":
            self._store(target, work, session_id)
        if errors:
            first, *more = errors
            first.more = more
            raise first

    def copy_config(self, source: str | etree._Element, target: str, session_id: int) -> None:
        """RFC 6241 §7.3 copy-config between datastores or from an inline ``<config>``."""
        self._check_writable(target, session_id)
        if isinstance(source, str):
            self._check_name(source)
            if source == target:
                raise protocol_error("invalid-value", "source and target are the same datastore")
            tree = self.config(source)
        else:
            tree = etree.Element(self._running.tag, nsmap=self._running.nsmap)
            EditApplier(self.schema).apply(tree, source, "merge")
        self._raise_invalid(tree)
        self._store(target, tree, session_id)

    def validate(self, source: str | etree._Element) -> None:
        """RFC 6241 §8.6 validate a datastore or an inline ``<config>``."""
        if isinstance(source, str):
            tree = self.config(source)
        else:
            tree = etree.Element(self._running.tag)
            EditApplier(self.schema).apply(tree, source, "merge")
        self._raise_invalid(tree)

    def discard_changes(self, session_id: int) -> None:
        """RFC 6241 §8.3.4.2 discard-changes."""
        self.expire()
        self._locks.check_free_for(CANDIDATE, session_id)
        self._candidate = None
        self._dirty.clear()

    def replace_running(self, tree: etree._Element, session_id: int) -> None:
        """Swap in a whole new running tree at once (a gNMI Set transaction).

        in-use if another session locks running or candidate; operation-failed while a confirmed
        commit is pending (its auto-revert would silently undo this change); the tree is validated.
        """
        self.expire()
        self._locks.check_free_for(RUNNING, session_id)
        self._locks.check_free_for(CANDIDATE, session_id)
        if self._pending is not None:
            raise protocol_error("operation-failed", "a confirmed commit is pending confirmation")
        self._raise_invalid(tree)
        self._set_running(tree)

    # -- commits -------------------------------------------------------------------------------
    def commit(
        self,
        session_id: int,
        *,
        confirmed: bool = False,
        timeout: int = DEFAULT_CONFIRM_TIMEOUT,
        persist: str | None = None,
        persist_id: str | None = None,
    ) -> None:
        """RFC 6241 §8.3.4.1 commit, with §8.4 confirmed commit (1.1)."""
        self.expire()
        self._locks.check_free_for(RUNNING, session_id)
        self._locks.check_free_for(CANDIDATE, session_id)
        pending = self._pending
        if pending is not None:
            self._check_may_follow(pending, session_id, persist_id)
        elif persist_id is not None:
            raise protocol_error("invalid-value", f"no confirmed commit pending with persist-id {persist_id}")
        new = self.candidate
        self._raise_invalid(new)
        if pending is not None and pending.timer is not None:
            pending.timer.cancel()
        if confirmed:
            if pending is None:
                pending = PendingCommit(self._running, session_id, persist, 0.0)
            else:
                pending.session_id = session_id
                pending.persist = persist
            pending.deadline = self._clock() + timeout
            pending.timer = self.scheduler(timeout, self.expire) if self.scheduler else None
            self._pending = pending
            log.debug("confirmed commit by session %s, timeout %ss", session_id, timeout)  # one per order
        else:
            self._pending = None
        self._set_running(new)
        self._candidate = None
        self._dirty.clear()

    def cancel_commit(self, session_id: int, persist_id: str | None = None) -> None:
        """RFC 6241 §8.4.4.1 cancel-commit: revert to the configuration before the confirmed commit."""
        self.expire()
        pending = self._pending
        if pending is None:
            raise protocol_error("operation-failed", "no confirmed commit is pending")
        self._check_may_follow(pending, session_id, persist_id)
        self._revert("cancelled")

    def expire(self) -> bool:
        """Revert a confirmed commit whose timeout ran out; True if it did."""
        pending = self._pending
        if pending is None or self._clock() < pending.deadline:
            return False
        self._revert("timed out")
        return True

    def close_session(self, session_id: int) -> None:
        """Release what a session held; revert its non-persist confirmed commit."""
        if CANDIDATE in self._locks.release_all(session_id):
            self._candidate = None
            self._dirty.clear()
        self._dirty.discard(session_id)
        pending = self._pending
        if pending is not None and pending.persist is None and pending.session_id == session_id:
            self._revert("session closed")

    def restart(self) -> None:
        """A device restart: every lock goes, candidate is back to running, and a pending confirmed
        commit (persisted or not) is reverted: running is the last confirmed configuration."""
        self._locks = LockTable()
        if self._pending is not None:
            self._revert("lost in a restart")
        self._candidate = None
        self._dirty.clear()

    # -- internals -----------------------------------------------------------------------------
    def _revert(self, why: str) -> None:
        pending = self._pending
        assert pending is not None
        if pending.timer is not None:
            pending.timer.cancel()
        self._pending = None
        self._set_running(pending.rollback)
        self._candidate = None
        self._dirty.clear()
        log.info("confirmed commit %s: running reverted", why)

    def _check_may_follow(self, pending: PendingCommit, session_id: int, persist_id: str | None) -> None:
        if pending.persist is not None:
            if persist_id != pending.persist:
                raise protocol_error("invalid-value", "persist-id does not match the confirmed commit")
        elif persist_id is not None:
            raise protocol_error("invalid-value", "the pending confirmed commit has no persist token")
        elif session_id != pending.session_id:
            raise protocol_error(
                "in-use",
                f"a confirmed commit of session {pending.session_id} is pending",
                **{"session-id": str(pending.session_id)},
            )

    def _store(self, target: str, tree: etree._Element, session_id: int) -> None:
        if target == RUNNING:
            self._set_running(tree)
        else:
            self._candidate = tree
            self._dirty.add(session_id)

    def _set_running(self, tree: etree._Element) -> None:
        if tree is self._running:
            return
        before = self._running_xml if self._running_xml is not None else etree.tostring(self._running)
        self._running, self._running_xml = tree, etree.tostring(tree)
        if self._running_xml == before:
            return
        self.change_count += 1
        self.last_change = self._wall_clock()
        for listener in list(self.listeners):
            try:
                listener()
            except Exception:  # a subscriber's bug must not break a commit
                log.exception("change listener failed")

    def _raise_invalid(self, tree: etree._Element) -> None:
        # Trees are never mutated in place and validity depends on the tree alone, so the tree
        # that passed last time (e.g. running, after a confirmed commit, at its confirming commit)
        # is not walked again.
        if tree is self._valid:
            return
        errors = validate_tree(self.schema, tree)
        if not errors:
            self._valid = tree
            return
        first, *more = errors
        first.more = more
        raise first

    def _check_writable(self, target: str, session_id: int) -> None:
        self._check_name(target)
        if target == RUNNING and not self.writable_running:
            raise protocol_error("operation-not-supported", "running is not writable; use candidate")
        self.expire()
        self._locks.check_free_for(target, session_id)

    @staticmethod
    def _check_name(name: str) -> None:
        if name not in DATASTORES:
            raise protocol_error("invalid-value", f"unknown datastore '{name}'")


def _bad_value(parameter: str, value: str) -> RpcError:
    error = protocol_error("invalid-value", f"invalid {parameter} '{value}'")
    error.info = {"bad-element": parameter}
    return error
