"""NETCONF driver (ROM's own client or ncclient): candidate + confirmed-commit transactions on a device.

Devices with `:candidate` stage into the candidate under its lock. Devices that only announce
`:writable-running` get the fallback: under a lock on running, the driver saves running (the
pre-image) before the first edit, edits running directly, and on rollback restores the pre-image
(`operation="replace"` per top-level node). On those devices a "confirmed" commit is emulated by
the driver (the pre-image is kept until confirm): nothing reverts on the device if ROM dies.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from lxml import etree
from ncclient.operations.rpc import RPCError

from drivers._errors import mapped_errors
from drivers._netconf_client import NetconfClient
from drivers._netconf_session import NetconfSession, open_session, pool_key
from drivers._preimage import build_restore, touched_filter, xml_diff
from drivers.base import DeviceTarget, attempt
from drivers.errors import CapabilityMissing, DriverError, InvalidInput, TransportError
from drivers.pool import SessionPool

log = logging.getLogger(__name__)

CANDIDATE = "urn:ietf:params:netconf:capability:candidate:1.0"
CONFIRMED_COMMIT_11 = "urn:ietf:params:netconf:capability:confirmed-commit:1.1"
WRITABLE_RUNNING = "urn:ietf:params:netconf:capability:writable-running:1.0"
ROLLBACK_ON_ERROR = "urn:ietf:params:netconf:capability:rollback-on-error:1.0"


def _has(capabilities: list[str], uri: str) -> bool:
    """Whether `uri` is announced (query parameters such as `?module=` ignored)."""
    return any(c.split("?", 1)[0] == uri for c in capabilities)


def _filter_spec(filter_xml: str | None) -> etree._Element | tuple[str, str] | None:
    """ncclient's filter argument for either a whole `<filter>` element or one subtree root."""
    if not filter_xml:
        return None
    try:
        root = etree.fromstring(filter_xml.encode())
    except etree.XMLSyntaxError as e:
        raise InvalidInput(f"filter is not well-formed XML: {e}") from e
    if etree.QName(root).localname == "filter":
        return root
    return ("subtree", filter_xml)


class NetconfDriver:
    """`DeviceDriver` over one NETCONF/SSH session (`drivers._netconf_client`).

    With a `pool`, `open` takes an idle session for the device from it and `close` gives a clean
    session (no lock held, nothing pending) back instead of ending it.
    """

    def __init__(self, target: DeviceTarget, pool: SessionPool | None = None) -> None:
        self.target = target
        self.pool = pool
        self._s: NetconfSession | None = None
        self._locked: str | None = None  # the datastore this driver holds the lock on
        self._pending_confirm = False
        self._pre_image: etree._Element | None = None  # writable-running fallback only
        self._staged: list[str] = []  # the payload in the candidate: what a staged diff reads
        self._key_filters: Sequence[str] = ()  # name the keys of its list entries (see `stage`)
        # Replies read in one flight with the RPC before them (see `stage`, `commit`), each used
        # once by the read it stands for, and dropped by any other step.
        self._diff_reads: tuple[Any, Any] | None = None  # get-config candidate, running
        self._read_ahead: dict[str | None, Any] = {}  # filter -> get-config running

    # --- session -----------------------------------------------------------------------------

    def open(self) -> None:
        if self._s is not None and self._s.manager.connected:
            return
        t = self.target
        if self.pool is None:
            self._s = open_session(t)
        else:
            self._s = self.pool.acquire(pool_key(t), lambda: open_session(t))
        self._locked = None

    def close(self) -> None:
        s, self._s = self._s, None
        self._staged = []
        self._forget_reads()
        clean = self._locked is None and not self._pending_confirm and self._pre_image is None
        self._locked = None
        if s is None:
            return
        if self.pool is not None:
            self.pool.release(pool_key(self.target), s, reusable=clean)
        else:
            s.close()

    @property
    def session_id(self) -> str | None:
        """The device's id for the open session (None when closed)."""
        return None if self._s is None else self._s.session_id

    def _mgr(self) -> NetconfClient:
        return self._live().manager

    def _live(self) -> NetconfSession:
        if self._s is None or not self._s.manager.connected:
            raise TransportError(f"{self.target.name}: no open NETCONF session")
        return self._s

    def capabilities(self) -> list[str]:
        return list(self._mgr().server_capabilities)

    def _require(self, uri: str, what: str) -> None:
        if not _has(self.capabilities(), uri):
            raise CapabilityMissing(f"{self.target.name}: {what} needs {uri}")

    def _running_only(self) -> bool:
        caps = self.capabilities()
        if _has(caps, CANDIDATE):
            return False
        if _has(caps, WRITABLE_RUNNING):
            return True
        raise CapabilityMissing(f"{self.target.name}: stage needs {CANDIDATE} or {WRITABLE_RUNNING}")

    # --- reads -------------------------------------------------------------------------------

    def get_config(self, filter_xml: str | None = None) -> str:
        if filter_xml in self._read_ahead:  # read in the confirmed commit's flight (`commit`)
            data = self._data_of(self._read_ahead.pop(filter_xml), "get-config")
        else:
            data = self._get_data(filter_xml)
        return str(etree.tostring(data, encoding="unicode"))

    def _get_data(self, filter_xml: str | None = None) -> etree._Element:
        with mapped_errors(self.target.name, "get-config"):
            reply = self._mgr().get_config(source="running", filter=_filter_spec(filter_xml))
        data: etree._Element = reply.data_ele
        return data

    def diff(self, payload: str | None = None) -> str:
        """Dry-run: load `payload` into the candidate, unified diff of candidate against running
        (canonical XML), then discard. Needs `:candidate`; a transaction in progress is refused.

        Without a payload: the diff of what is staged (candidate against running, or running
        against the saved pre-image on writable-running devices); two get-configs, one there."""
        if payload is None:
            return self._staged_diff()
        self._require(CANDIDATE, "dry-run diff")
        if self._locked is not None or self._pending_confirm:
            raise InvalidInput(f"{self.target.name}: dry-run diff while a change is staged or pending")
        name = self.target.name
        self._lock("candidate")
        try:
            self._discard()
            self._edit_candidate(payload, "edit-config candidate (dry-run)")
            return self._candidate_diff()
        finally:
            errors = attempt(self._discard) + attempt(self._unlock)
            for e in errors:
                log.warning("%s: dry-run clean-up failed: %s", name, e)

    def _candidate_diff(self, filter_xml: str | None = None) -> str:
        with mapped_errors(self.target.name, "get-config candidate"):
            candidate = self._mgr().get_config(source="candidate", filter=_filter_spec(filter_xml)).data_ele
        return xml_diff(self._get_data(filter_xml), candidate)

    def _staged_diff(self) -> str:
        """Only the top-level nodes the staged payloads edit are read (cheaper on big configs)."""
        if self._pre_image is not None:
            return xml_diff(self._pre_image, self._get_data())
        if self._locked != "candidate" or self._pending_confirm or not self._staged:
            raise InvalidInput(f"{self.target.name}: nothing staged to diff")
        if self._diff_reads is not None:  # read in the edit's flight (`stage(read_diff=True)`)
            (candidate, running), self._diff_reads = self._diff_reads, None
            return xml_diff(
                self._data_of(running, "get-config"), self._data_of(candidate, "get-config candidate")
            )
        return self._candidate_diff(touched_filter(self._staged, self._key_filters))

    # --- flights: several RPCs back to back (RFC 6241 section 4.1) ----------------------------

    def _flight(self, calls: list[tuple[str, str, dict[str, Any]]]) -> list[Any]:
        """(what it does, Manager method, arguments) back to back; each reply or its RPCError,
        in order. A transport failure raises mapped (the session is gone, as after one RPC)."""
        with mapped_errors(self.target.name, " + ".join(doing for doing, _, _ in calls)):
            return self._live().flight([(name, kwargs) for _, name, kwargs in calls])

    def _checked(self, reply: Any, doing: str) -> Any:
        """A reply of a flight, or its rpc-error raised mapped (as the single RPC would)."""
        with mapped_errors(self.target.name, doing):
            if isinstance(reply, RPCError):
                raise reply
        return reply

    def _data_of(self, reply: Any, doing: str) -> etree._Element:
        data: etree._Element = self._checked(reply, doing).data_ele
        return data

    def _forget_reads(self) -> None:
        self._diff_reads = None
        self._read_ahead = {}

    # --- transaction -------------------------------------------------------------------------

    def stage(self, payload: str, *, read_diff: bool = False, key_filters: Sequence[str] = ()) -> None:
        """Lock, then load `payload` into the candidate (or the writable-running fallback).

        `read_diff`: the staged diff (`diff()`) will be asked for next; its two get-configs go
        in one flight with the edit-config, after the lock is held (the lock alone first: a
        refused lock must not let the edit merge into another session's candidate). Reads
        change nothing, so an edit refused in the flight fails the stage exactly as alone.
        `key_filters`: the diff reads only the payload's list entries these name the keys of."""
        self._forget_reads()
        self._key_filters = key_filters
        if self._running_only():
            self._stage_running(payload)
            return
        self._lock("candidate")
        if self._dirty():  # else the granted lock says the candidate is running (see NetconfSession)
            self._discard()
        if read_diff:
            self._edit_and_read(payload)
        else:
            self._edit_candidate(payload, "edit-config candidate")
        self._staged = [payload]  # the candidate held running before: this payload only

    def _edit_and_read(self, payload: str) -> None:
        """edit-config, get-config candidate and running of the nodes it touches: one flight."""
        spec = _filter_spec(touched_filter([payload], self._key_filters))
        self._set_dirty(True)  # before: a failed edit may have applied part of it
        edit, candidate, running = self._flight(
            [
                ("edit-config candidate", "edit_config", {"config": payload, "target": "candidate"}),
                ("get-config candidate", "get_config", {"source": "candidate", "filter": spec}),
                ("get-config", "get_config", {"source": "running", "filter": spec}),
            ]
        )
        self._checked(edit, "edit-config candidate")  # refused: the reads are dropped
        self._diff_reads = (candidate, running)

    def _dirty(self) -> bool:
        return self._s is None or self._s.candidate_dirty

    def _set_dirty(self, dirty: bool) -> None:
        if self._s is not None:
            self._s.candidate_dirty = dirty

    def _edit_candidate(self, payload: str, doing: str) -> None:
        self._set_dirty(True)  # before: a failed edit may have applied part of it
        with mapped_errors(self.target.name, doing):
            self._mgr().edit_config(config=payload, target="candidate")

    def _stage_running(self, payload: str) -> None:
        self._lock("running")
        if self._pre_image is None:
            self._pre_image = self._get_data()
        error_option = "rollback-on-error" if _has(self.capabilities(), ROLLBACK_ON_ERROR) else None
        with mapped_errors(self.target.name, "edit-config running"):
            self._mgr().edit_config(config=payload, target="running", error_option=error_option)

    def commit(
        self,
        confirm_timeout: int | None = None,
        persist_id: str | None = None,
        *,
        read_after: Sequence[str] = (),
    ) -> None:
        """Commit; confirmed (reverting after `confirm_timeout` s) when a timeout is given.

        `read_after`: subtree filters of running that will be read next (`get_config`, e.g. the
        read-back before confirm); each get-config goes in one flight with the confirmed commit
        and `get_config` answers it from there once. A refused commit drops the reads."""
        self._forget_reads()
        name = self.target.name
        if self._pre_image is not None:  # writable-running: the edit is live already
            if confirm_timeout is None:
                self._finish_running()
            else:
                self._pending_confirm = True
            return
        m = self._mgr()
        if confirm_timeout is None:
            with mapped_errors(name, "commit"):
                m.commit()
            self._set_dirty(False)
            self._release()
            return
        self._require(CONFIRMED_COMMIT_11, "confirmed commit")
        arguments: dict[str, Any] = {
            "confirmed": True,
            "timeout": str(confirm_timeout),
            "persist": persist_id,
        }
        if not read_after:
            with mapped_errors(name, "confirmed commit"):
                m.commit(**arguments)
        else:
            filters = list(dict.fromkeys(read_after))
            replies = self._flight(
                [("confirmed commit", "commit", arguments)]
                + [
                    ("get-config", "get_config", {"source": "running", "filter": _filter_spec(f)})
                    for f in filters
                ]
            )
            self._checked(replies[0], "confirmed commit")  # refused: the reads are dropped
            self._read_ahead = dict(zip(filters, replies[1:], strict=True))
        self._set_dirty(False)
        self._pending_confirm = True

    def confirm(self, persist_id: str | None = None) -> None:
        self._forget_reads()
        if self._pre_image is not None:
            self._finish_running()
            return
        if persist_id is not None:
            self._require(CONFIRMED_COMMIT_11, "confirm by persist-id")
        m = self._mgr()
        with mapped_errors(self.target.name, "confirming commit"):
            m.commit(persist_id=persist_id)
        self._pending_confirm = False
        self._release()

    def cancel_commit(self, persist_id: str) -> None:
        """Cancel a pending confirmed commit by persist-id, from any session (crash recovery).

        Writable-running devices: only the driver that holds the pre-image can undo its commit."""
        if self._pre_image is not None:
            self._restore()
            self._release()
            return
        self._require(CONFIRMED_COMMIT_11, "cancel-commit by persist-id")
        self._cancel_commit(persist_id)

    def _finish_running(self) -> None:
        self._pre_image = None
        self._pending_confirm = False
        self._release()

    def rollback(self, persist_id: str | None = None) -> None:
        """Best effort: every step is tried; the first failure is raised at the end."""
        self._forget_reads()
        errors: list[DriverError] = []
        if self._s is None or not self._s.manager.connected:
            # The lost session released the lock and, unless persisted, reverted the commit;
            # a persisted confirmed commit can still be cancelled from a new session, and a
            # saved pre-image restored.
            self._s = None
            errors.extend(attempt(self.open))
            self._pending_confirm = self._pending_confirm and persist_id is not None
        if self._pre_image is not None:
            errors.extend(attempt(self._restore))
        elif self._pending_confirm:
            errors.extend(attempt(lambda: self._cancel_commit(persist_id)))
        if self._locked == "candidate":
            # Without our lock the candidate is not ours to discard (lock-denied at stage, or a
            # lost session, whose candidate changes the device already dropped with the lock).
            errors.extend(attempt(self._discard))
        errors.extend(attempt(self._unlock))
        for e in errors[1:]:
            log.warning("%s: rollback step also failed: %s", self.target.name, e)
        if errors:
            raise errors[0]

    def _restore(self) -> None:
        assert self._pre_image is not None
        config = build_restore(self._pre_image, self._get_data())
        with mapped_errors(self.target.name, "edit-config running (restore pre-image)"):
            self._mgr().edit_config(config=config, target="running")
        self._pre_image = None
        self._pending_confirm = False

    def _cancel_commit(self, persist_id: str | None) -> None:
        self._set_dirty(True)  # what the candidate holds after a cancel is the device's choice
        with mapped_errors(self.target.name, "cancel-commit"):
            self._mgr().cancel_commit(persist_id=persist_id)
        self._pending_confirm = False

    def _discard(self) -> None:
        with mapped_errors(self.target.name, "discard-changes"):
            self._mgr().discard_changes()
        self._set_dirty(False)

    def _lock(self, datastore: str) -> None:
        if self._locked == datastore:
            return
        with mapped_errors(self.target.name, f"lock {datastore}"):
            self._mgr().lock(target=datastore)
        self._locked = datastore

    def _unlock(self) -> None:
        if self._locked is None:
            return
        with mapped_errors(self.target.name, f"unlock {self._locked}"):
            self._mgr().unlock(target=self._locked)
        self._locked = None

    def _release(self) -> None:
        """Unlock after a successful (confirming) commit; a failure here does not undo the commit."""
        for e in attempt(self._unlock):
            log.warning("%s: commit done but unlock failed: %s", self.target.name, e)
