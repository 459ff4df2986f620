"""NETCONF driver on ncclient: candidate + confirmed-commit transactions on one device."""

from __future__ import annotations

import logging
from collections.abc import Callable

from lxml import etree
from ncclient.manager import Manager

from drivers._errors import mapped_errors
from drivers._ncclient_session import connect_ssh
from drivers.base import DeviceTarget
from rom.errors import CapabilityMissing, InvalidRequest, RomError, TransportError

log = logging.getLogger(__name__)

CANDIDATE = "urn:ietf:params:netconf:capability:candidate:1.0"
CONFIRMED_COMMIT_11 = "urn:ietf:params:netconf:capability:confirmed-commit:1.1"


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
        raise InvalidRequest(f"filter is not well-formed XML: {e}") from e
    if etree.QName(root).localname == "filter":
        return root
    return ("subtree", filter_xml)


class NetconfDriver:
    """`DeviceDriver` over one NETCONF/SSH session (ncclient, no 100 ms tick)."""

    def __init__(self, target: DeviceTarget) -> None:
        self.target = target
        self._m: Manager | None = None
        self._locked = False
        self._pending_confirm = False

    # --- session -----------------------------------------------------------------------------

    def open(self) -> None:
        if self._m is not None and self._m.connected:
            return
        t = self.target
        with mapped_errors(t.name, f"connect {t.host}:{t.port}"):
            self._m = connect_ssh(
                rpc_timeout=t.timeout,
                host=t.host,
                port=t.port,
                username=t.username,
                password=t.password,
                timeout=t.timeout,
                # TODO(known_hosts issue): verify host keys once ROM manages known_hosts.
                hostkey_verify=False,
                allow_agent=False,
                look_for_keys=False,
            )
        self._locked = False

    def close(self) -> None:
        m, self._m = self._m, None
        self._locked = False
        if m is None or not m.connected:
            return
        try:
            with mapped_errors(self.target.name, "close-session"):
                m.close_session()
        except RomError as e:
            log.debug("%s: close-session failed (%s); dropping the transport", self.target.name, e)
            m._session.close()

    def _mgr(self) -> Manager:
        if self._m is None or not self._m.connected:
            raise TransportError(f"{self.target.name}: no open NETCONF session")
        return self._m

    def capabilities(self) -> list[str]:
        return list(self._mgr().server_capabilities)

    def _require(self, uri: str, what: str) -> None:
        if not _has(self.capabilities(), uri):
            raise CapabilityMissing(f"{self.target.name}: {what} needs {uri}")

    # --- reads -------------------------------------------------------------------------------

    def get_config(self, filter_xml: str | None = None) -> str:
        m = self._mgr()
        with mapped_errors(self.target.name, "get-config"):
            reply = m.get_config(source="running", filter=_filter_spec(filter_xml))
        # No XML declaration: lxml refuses to parse a str that carries an encoding declaration.
        return str(etree.tostring(reply.data_ele, encoding="unicode"))

    # --- transaction -------------------------------------------------------------------------

    def stage(self, payload: str) -> None:
        self._require(CANDIDATE, "stage")
        m = self._mgr()
        name = self.target.name
        if not self._locked:
            with mapped_errors(name, "lock candidate"):
                m.lock(target="candidate")
            self._locked = True
        with mapped_errors(name, "discard-changes"):
            m.discard_changes()
        with mapped_errors(name, "edit-config candidate"):
            m.edit_config(config=payload, target="candidate")

    def commit(self, confirm_timeout: int | None = None, persist_id: str | None = None) -> None:
        m = self._mgr()
        name = self.target.name
        if confirm_timeout is None:
            with mapped_errors(name, "commit"):
                m.commit()
            self._release()
            return
        self._require(CONFIRMED_COMMIT_11, "confirmed commit")
        with mapped_errors(name, "confirmed commit"):
            m.commit(confirmed=True, timeout=str(confirm_timeout), persist=persist_id)
        self._pending_confirm = True

    def confirm(self, persist_id: str | None = None) -> None:
        if persist_id is not None:
            self._require(CONFIRMED_COMMIT_11, "confirm by persist-id")
        m = self._mgr()
        with mapped_errors(self.target.name, "confirming commit"):
            m.commit(persist_id=persist_id)
        self._pending_confirm = False
        self._release()

    def cancel_commit(self, persist_id: str) -> None:
        self._require(CONFIRMED_COMMIT_11, "cancel-commit by persist-id")
        self._cancel_commit(persist_id)

    def rollback(self, persist_id: str | None = None) -> None:
        """Best effort: every step is tried; the first failure is raised at the end."""
        errors: list[RomError] = []
        if self._m is None or not self._m.connected:
            # The lost session released the lock and, unless persisted, reverted the commit;
            # a persisted confirmed commit can still be cancelled from a new session.
            errors.extend(self._attempt(self.open))
            self._pending_confirm = self._pending_confirm and persist_id is not None
        if self._pending_confirm:
            errors.extend(self._attempt(lambda: self._cancel_commit(persist_id)))
        if self._locked:
            # Without our lock the candidate is not ours to discard (lock-denied at stage, or a
            # lost session, whose candidate changes the device already dropped with the lock).
            errors.extend(self._attempt(self._discard))
            errors.extend(self._attempt(self._unlock))
        for e in errors[1:]:
            log.warning("%s: rollback step also failed: %s", self.target.name, e)
        if errors:
            raise errors[0]

    def _cancel_commit(self, persist_id: str | None) -> None:
        with mapped_errors(self.target.name, "cancel-commit"):
            self._mgr().cancel_commit(persist_id=persist_id)
        self._pending_confirm = False

    def _discard(self) -> None:
        with mapped_errors(self.target.name, "discard-changes"):
            self._mgr().discard_changes()

    def _unlock(self) -> None:
        if not self._locked:
            return
        with mapped_errors(self.target.name, "unlock candidate"):
            self._mgr().unlock(target="candidate")
        self._locked = False

    def _release(self) -> None:
        """Unlock after a successful (confirming) commit; a failure here does not undo the commit."""
        for e in self._attempt(self._unlock):
            log.warning("%s: commit done but unlock failed: %s", self.target.name, e)

    @staticmethod
    def _attempt(step: Callable[[], None]) -> list[RomError]:
        try:
            step()
        except RomError as e:
            return [e]
        return []
