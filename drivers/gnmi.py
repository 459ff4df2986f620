"""gNMI driver on pygnmi: a prepared SetRequest per device, applied as one atomic Set.

    stage    parse and check the payload (drivers.gnmi_payload), keep the SetRequest, and read
             the pre-image (Get CONFIG) of every path it touches; the device is not changed
    commit   one Set: all of it or none of it (gNMI specification 3.4.3)
    confirm  drop the pre-image
    rollback / cancel_commit   after a commit, restore the pre-image with one Set (replace what
             existed, delete what the commit created); before a commit, forget the staged change

gNMI has no confirmed commit and no candidate. `commit(confirm_timeout=N)` is emulated here: the
driver keeps the pre-image, and a `confirm` arriving after N seconds restores it and fails, as
a device would have reverted. **Nothing on the device reverts by itself: if ROM crashes between
commit and confirm, a gNMI device keeps the change** (recovery cannot cancel it by persist-id; the
order must be compensated or the drift found by reconciliation). gNMI holds no lock either: a
concurrent writer between stage and commit is not detected, and a restore puts back the values
read at stage time.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from typing import Any

from pygnmi.spec.v080 import gnmi_pb2

from drivers._gnmi_session import GnmiSession, decode, pool_key
from drivers.base import DeviceTarget, attempt
from drivers.errors import (
    CapabilityMissing,
    DeviceRejected,
    DriverError,
    InvalidInput,
    RpcErrorInfo,
    TransportError,
)
from drivers.gnmi_payload import (
    PreImage,
    SetDocument,
    format_path,
    parent,
    parse_document,
    path_from_json,
    restore_request,
    set_request,
    unified_json_diff,
    would_be,
)
from drivers.pool import SessionPool

log = logging.getLogger(__name__)
CONFIG = gnmi_pb2.GetRequest.DataType.CONFIG


def _one_value(reply: gnmi_pb2.GetResponse) -> Any:
    """The value a one-path Get returned (a list when the device split it into several updates;
    None when it sent no update, as some devices answer a missing path instead of NOT_FOUND)."""
    updates = [u for n in reply.notification for u in n.update]
    if not updates:
        return None
    return decode(updates[0].val) if len(updates) == 1 else [decode(u.val) for u in updates]


def _filter_paths(filter_text: str | None) -> list[gnmi_pb2.Path]:
    """A filter is one path in text form, or a JSON list of paths (each text or list form)."""
    if not filter_text or not filter_text.strip():
        return [gnmi_pb2.Path()]
    text = filter_text.strip()
    if not text.startswith("["):
        return [path_from_json(text)]
    try:
        paths = json.loads(text)
    except ValueError as e:
        raise InvalidInput(f"gNMI filter is not a JSON list of paths: {e}") from None
    if not isinstance(paths, list) or not paths:
        raise InvalidInput("gNMI filter must be a non-empty JSON list of paths")
    return [path_from_json(p) for p in paths]


def _probe(path: gnmi_pb2.Path) -> gnmi_pb2.Path:
    """What to Get to learn whether `path` exists: a list entry's first key leaf (every entry
    has it; a few bytes instead of the whole entry), any other node itself."""
    last = path.elem[-1]
    if not last.key:
        return path
    key = gnmi_pb2.PathElem(name=min(last.key))
    return gnmi_pb2.Path(origin=path.origin, elem=[*path.elem, key])


def _parents_to_probe(doc: SetDocument) -> list[gnmi_pb2.Path]:
    """The parents worth reading with the touched paths: those of the entries the document
    replaces (an order's own entries, mostly new), unless the document touches the parent itself
    or replaces one of its ancestors (that Get answers for it when absent: an entry and its
    inputs, both new). An update mostly merges into a node that exists (a shared policy): its
    parent is read only if it turns out absent."""
    touched = {format_path(p) for p in doc.touched()}
    replaced = {c.text for c in doc.of("replace")}
    out: dict[str, gnmi_pb2.Path] = {}
    for change in doc.of("replace"):
        up = parent(change.path)
        if up is None or not up.elem or format_path(up) in touched or _under_any(up, replaced):
            continue
        out.setdefault(format_path(up), up)
    return list(out.values())


def _under_any(path: gnmi_pb2.Path, texts: set[str]) -> bool:
    """Whether an ancestor of `path` is among `texts` (path texts)."""
    up = parent(path)
    while up is not None and up.elem:
        if format_path(up) in texts:
            return True
        up = parent(up)
    return False


class GnmiDriver:
    """`DeviceDriver` over one gNMI channel (see the module docstring)."""

    def __init__(self, target: DeviceTarget, pool: SessionPool | None = None) -> None:
        self.target = target
        self.pool = pool
        self._s: GnmiSession | None = None
        self._staged: SetDocument | None = None
        self._pre: PreImage | None = None
        self._applied = False  # the Set went through and is not yet confirmed
        self._deadline: float | None = None

    # --- session -----------------------------------------------------------------------------

    def open(self) -> None:
        if self._s is not None and not self._s.closed:
            return
        t = self.target
        if self.pool is None:
            self._s = GnmiSession(t)
        else:
            self._s = self.pool.acquire(pool_key(t), lambda: GnmiSession(t))

    def close(self) -> None:
        s, self._s = self._s, None
        if s is None:
            return
        clean = self._staged is None and not self._applied
        if self.pool is not None:
            self.pool.release(pool_key(self.target), s, reusable=clean)
        else:
            s.close()

    def _session(self) -> GnmiSession:
        if self._s is None or self._s.closed:
            raise TransportError(f"{self.target.name}: no open gNMI channel")
        return self._s

    def capabilities(self) -> list[str]:
        """`gnmi:<version>`, `encoding:<chosen>`, then the supported models as `name@version`."""
        s = self._session()
        encoding = gnmi_pb2.Encoding.Name(s.encoding).lower()
        return [f"gnmi:{s.version}", f"encoding:{encoding}", *s.models]

    # --- reads -------------------------------------------------------------------------------

    def _get(self, paths: Sequence[gnmi_pb2.Path]) -> list[Any]:
        s = self._session()
        request = gnmi_pb2.GetRequest(path=list(paths), type=CONFIG, encoding=s.encoding)
        reply = s.call("Get", request)
        if len(reply.notification) != len(paths):
            if len(paths) == 1:
                return [_one_value(reply)]
            return self._each(paths)
        values = []
        for n in reply.notification:
            found = [decode(u.val) for u in n.update]
            values.append(None if not found else found[0] if len(found) == 1 else found)
        return values

    def _each(self, paths: Sequence[gnmi_pb2.Path]) -> list[Any]:
        """Config at each path, None where the device has none (NOT_FOUND): one Get per path,
        all sent at once."""
        s = self._session()
        requests = [gnmi_pb2.GetRequest(path=[p], type=CONFIG, encoding=s.encoding) for p in paths]
        out: list[Any] = []
        for reply in s.call_each("Get", requests):
            if isinstance(reply, DeviceRejected) and reply.error.tag == "data-missing":
                out.append(None)
            elif isinstance(reply, DriverError):
                raise reply
            else:
                out.append(_one_value(reply))
        return out

    def _values(self, paths: Sequence[gnmi_pb2.Path]) -> list[Any]:
        """Config at each path, None where the device has none (NOT_FOUND)."""
        try:
            return self._get(paths)
        except DeviceRejected as e:
            if e.error.tag != "data-missing":
                raise
        return self._each(paths)

    def get_config(self, filter_xml: str | None = None) -> str:
        """Config as a JSON object {path text: value (null when absent)}; the filter is a path,
        or a JSON list of paths (text or list form), default the whole tree."""
        paths = _filter_paths(filter_xml)
        return json.dumps(dict(zip(map(format_path, paths), self._values(paths), strict=True)))

    def _pre_image(self, doc: SetDocument) -> PreImage:
        """Each touched path's Get, and a probe of the parent of each entry the document
        replaces, all at once: an order mostly adds entries under a node that exists, so one round
        trip usually settles what restore must delete. (One Get of all the paths would fail
        NOT_FOUND whenever a path is new: gNMI answers a Get whole or not at all.)"""
        paths = doc.touched()
        parents = _parents_to_probe(doc)
        values = self._each([*paths, *map(_probe, parents)])
        own = values[: len(paths)]
        read = list(zip([*paths, *parents], values, strict=True))
        present = tuple((p, v) for p, v in zip(paths, own, strict=True) if v is not None)
        missing = [p for p, v in zip(paths, own, strict=True) if v is None]
        return PreImage(present, tuple(self._highest_absent(missing, read)))

    def _highest_absent(
        self, paths: list[gnmi_pb2.Path], read: list[tuple[gnmi_pb2.Path, Any]]
    ) -> list[gnmi_pb2.Path]:
        """For each absent path, walking up: the last ancestor that does not exist either.

        `read` is what was already read (path, value or None). The ancestors still unknown are
        probed with one round trip per level for all paths; none is read whose answer follows from
        what is known (above a present path: present; under an absent one: absent)."""
        known = {format_path(p): v is not None for p, v in read}
        for p, v in read:
            up: gnmi_pb2.Path | None = p if v is not None else None
            while up is not None and up.elem:
                known[format_path(up)] = True
                up = parent(up)

        def exists(path: gnmi_pb2.Path) -> bool | None:
            up: gnmi_pb2.Path | None = path
            while up is not None and up.elem:
                found = known.get(format_path(up))
                if found is not None and (found is False or up is path):
                    return found
                up = parent(up)
            return None

        tops, ups = list(paths), [parent(p) for p in paths]
        while True:
            unknown = {format_path(u): u for u in ups if u is not None and u.elem and exists(u) is None}
            if unknown:
                values = self._each([_probe(u) for u in unknown.values()])
                known.update((text, v is not None) for text, v in zip(unknown, values, strict=True))
            moved = False
            for i, up in enumerate(ups):
                if up is None or not up.elem or exists(up):
                    ups[i] = None
                    continue
                tops[i], ups[i], moved = up, parent(up), True
            if not moved:
                return tops

    # --- transaction -------------------------------------------------------------------------

    def stage(self, payload: str, *, read_diff: bool = False, key_filters: Sequence[str] = ()) -> None:
        """The pre-image is read here whatever `read_diff` says: `diff()` needs no round trip."""
        doc = parse_document(payload)
        self._session()
        if self._applied:
            raise InvalidInput(f"{self.target.name}: stage after commit: confirm or roll back first")
        pre = self._pre_image(doc)
        if self._staged is not None and self._pre is not None:
            seen = {format_path(p) for p, _ in self._pre.values} | {format_path(p) for p in self._pre.absent}
            pre = PreImage(
                self._pre.values + tuple((p, v) for p, v in pre.values if format_path(p) not in seen),
                self._pre.absent + tuple(p for p in pre.absent if format_path(p) not in seen),
            )
            doc = self._staged.merged(doc)
        self._staged, self._pre = doc, pre

    def diff(self, payload: str | None = None) -> str:
        """Pre-image (Get CONFIG of the touched paths) against what the payload would leave.

        Without a payload: the staged change against the pre-image read at stage (no round trip)."""
        if payload is None:
            if self._staged is None or self._pre is None:
                raise InvalidInput(f"{self.target.name}: nothing staged to diff")
            doc, pre = self._staged, self._pre
            before = {format_path(p): pre.value_at(p) for p in doc.touched()}
            return unified_json_diff(before, would_be(doc, before))
        doc = parse_document(payload)
        paths = doc.touched()
        before = dict(zip(map(format_path, paths), self._values(paths), strict=True))
        return unified_json_diff(before, would_be(doc, before))

    def commit(
        self,
        confirm_timeout: int | None = None,
        persist_id: str | None = None,
        *,
        read_after: Sequence[str] = (),
    ) -> None:
        """`read_after` (NETCONF subtree filters) does not apply to gNMI paths: ignored."""
        s = self._session()
        if self._staged is None:
            raise InvalidInput(f"{self.target.name}: nothing staged to commit")
        s.call("Set", set_request(self._staged, s.json_ietf))
        self._staged = None
        if confirm_timeout is None:
            self._pre = None
            return
        self._applied = True
        self._deadline = time.monotonic() + confirm_timeout

    def confirm(self, persist_id: str | None = None) -> None:
        if self._applied and self._deadline is not None and time.monotonic() >= self._deadline:
            self._restore()
            raise DeviceRejected(
                self.target.name,
                RpcErrorInfo(
                    "protocol", "operation-failed", message="confirm timeout expired: pre-image restored"
                ),
            )
        self._applied, self._pre, self._deadline = False, None, None

    def cancel_commit(self, persist_id: str) -> None:
        """Only the driver that committed holds the pre-image: gNMI has no persist-id."""
        if not self._applied:
            raise CapabilityMissing(
                f"{self.target.name}: gNMI has no confirmed commit; only the committing driver can revert"
            )
        self._restore()

    def rollback(self, persist_id: str | None = None) -> None:
        """Restore the pre-image if the Set went through; forget anything staged."""
        self._staged = None
        if not self._applied:
            self._pre = None
            return
        errors: list[DriverError] = []
        if self._s is None or self._s.closed:
            errors.extend(attempt(self.open))
        if not errors:
            errors.extend(attempt(self._restore))
        if errors:
            raise errors[0]

    def _restore(self) -> None:
        assert self._pre is not None
        s = self._session()
        s.call("Set", restore_request(self._pre, s.json_ietf))
        self._applied, self._pre, self._deadline = False, None, None
