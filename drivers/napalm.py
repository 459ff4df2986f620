"""NAPALM adapter: any NAPALM network driver behind the `DeviceDriver` protocol.

Platform `napalm:<driver>` (e.g. `napalm:iosxr_netconf`, `napalm:junos`, `napalm:eos`) opens the
NAPALM driver through nornir_napalm's connection plugin and maps the contract onto NAPALM's
candidate lifecycle:

    stage     -> load_merge_candidate (or load_replace_candidate with replace=True)
    diff      -> compare_config
    commit    -> commit_config(revert_in=confirm_timeout)
    confirm   -> confirm_commit
    rollback  -> rollback (pending commit confirm) or discard_config (staged only)

Drivers without commit-confirm (NAPALM raises NotImplementedError for `revert_in`, as
`iosxr_netconf` does) get an emulation: the running config is read before the commit and
rollback loads it back with load_replace_candidate + commit_config. Like the NETCONF driver's
writable-running fallback, nothing reverts on the device if ROM dies meanwhile.

Payloads are what the NAPALM driver loads: XML `<config>` for `iosxr_netconf` (with
`config_encoding="xml"`), CLI text for CLI platforms.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import paramiko
from lxml import etree

from drivers import _napalm_compat
from drivers._errors import rpc_error_info
from drivers._netconf_session import host_key_check
from drivers._preimage import build_restore
from drivers.base import DeviceTarget
from drivers.errors import (
    CapabilityMissing,
    DeviceRejected,
    DriverError,
    InvalidInput,
    RpcErrorInfo,
    TransportError,
)
from drivers.host_keys import scan_host_key
from drivers.pool import PoolKey, SessionPool

log = logging.getLogger(__name__)
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
TEXT_NS = "urn:rom:napalm"  # CLI platforms: running config text in <data><config-text xmlns=...>


class NapalmSession:
    """An opened NAPALM driver, as the session pool sees it."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def alive(self, probe: bool) -> bool:
        try:
            return bool(self.connection.is_alive().get("is_alive"))
        except Exception:  # noqa: BLE001 - a driver that cannot tell is not usable
            return False

    def close(self) -> None:
        self.connection.close()


@contextmanager
def _mapped(device: str, doing: str) -> Iterator[None]:
    """NAPALM's exceptions (and the ncclient RPCError they wrap) as ROM errors."""
    from napalm.base import exceptions as nx
    from ncclient.operations.rpc import RPCError

    try:
        yield
    except DriverError:
        raise
    except RPCError as e:
        raise DeviceRejected(device, rpc_error_info(e)) from e
    except NotImplementedError as e:
        raise CapabilityMissing(f"{device}: {doing}: not supported by this NAPALM driver: {e}") from e
    except (nx.ConnectionException, OSError, paramiko.SSHException) as e:
        raise TransportError(f"{device}: {doing}: {type(e).__name__}: {e}") from e
    except (nx.MergeConfigException, nx.ReplaceConfigException, nx.CommitError) as e:
        cause = e.args[0] if e.args and isinstance(e.args[0], RPCError) else None
        if cause is not None:
            raise DeviceRejected(device, rpc_error_info(cause)) from e
        raise DeviceRejected(device, RpcErrorInfo("application", "operation-failed", message=str(e))) from e


def select_top(data_xml: str, filter_xml: str) -> str:
    """Keep the top-level nodes of `<data>` named by the filter's roots (NAPALM has no filters).

    Only the first level of the filter is applied: the selected subtrees come back whole.
    """
    try:
        filt = etree.fromstring(filter_xml.encode())
    except etree.XMLSyntaxError as e:
        raise InvalidInput(f"filter is not well-formed XML: {e}") from e
    roots = list(filt) if etree.QName(filt).localname == "filter" else [filt]
    wanted = {r.tag for r in roots if isinstance(r.tag, str)}
    data = etree.fromstring(data_xml.encode())
    for child in list(data):
        if child.tag not in wanted:
            data.remove(child)
    return str(etree.tostring(data, encoding="unicode"))


def _as_data(text: str) -> str:
    """NAPALM's running config as a `<data>` document (XML configs pass through)."""
    stripped = text.strip()
    if stripped.startswith("<"):
        root = etree.fromstring(stripped.encode())
        if etree.QName(root).localname == "data":
            return str(etree.tostring(root, encoding="unicode"))
    data = etree.Element(f"{{{NC}}}data", nsmap={None: NC})
    etree.SubElement(data, f"{{{TEXT_NS}}}config-text").text = text
    return str(etree.tostring(data, encoding="unicode"))


def _text_config(data_xml: str) -> str | None:
    """The CLI text of a `_as_data` document, or None for an XML configuration."""
    node = etree.fromstring(data_xml.encode()).find(f"{{{TEXT_NS}}}config-text")
    return None if node is None else node.text or ""


class NapalmDriver:
    """`DeviceDriver` over a NAPALM network driver (see the module docstring)."""

    def __init__(
        self, target: DeviceTarget, pool: SessionPool | None = None, *, replace: bool = False
    ) -> None:
        prefix, _, network_driver = target.platform.partition(":")
        if prefix != "napalm" or not network_driver:
            raise InvalidInput(f"{target.name}: platform {target.platform!r} is not napalm:<driver>")
        self.target = target
        self.pool = pool
        self.network_driver = network_driver
        self.replace = replace
        self._s: NapalmSession | None = None
        self._staged = False
        self._pending: str | None = None  # "device" (revert_in accepted) or "emulated"
        self._pre_image: str | None = None

    # --- session -----------------------------------------------------------------------------

    def _key(self) -> PoolKey:
        t = self.target
        return PoolKey(t.platform, t.host, t.port, t.username, (t.known_hosts, t.host_key_policy))

    def _connect(self) -> NapalmSession:
        from nornir_napalm.plugins.connections import Napalm

        t = self.target
        plugin = Napalm()
        check = host_key_check(t) if self.network_driver == "iosxr_netconf" else None
        extras = {
            "timeout": int(t.timeout),
            "optional_args": _napalm_compat.optional_args(self.network_driver, t.key_file),
        }
        with _mapped(t.name, f"connect {t.host}:{t.port}"):
            if check is not None:  # before any credentials are sent (see _napalm_compat.optional_args)
                check.verify(scan_host_key(t.host, t.port, t.timeout))
            try:
                plugin.open(t.host, t.username, t.password, t.port, self.network_driver, extras, None)
            except (ValueError, TypeError, KeyError, AttributeError) as e:
                # The NAPALM driver connected but choked on what the device said (for example
                # iosxr_netconf parsing a yang-library reply that carries an XML declaration).
                raise CapabilityMissing(
                    f"{t.name}: napalm {self.network_driver} cannot work with this device: "
                    f"{type(e).__name__}: {e}"
                ) from e
        session = NapalmSession(plugin.connection)
        if check is not None:  # the session's own key, in case it differs from the scanned one
            try:
                check.verify(plugin.connection.device._session._transport.get_remote_server_key())
            except DriverError:
                session.close()
                raise
        _napalm_compat.adapt(self.network_driver, plugin.connection)
        return session

    def open(self) -> None:
        if self._s is not None:
            return
        self._s = self._connect() if self.pool is None else self.pool.acquire(self._key(), self._connect)

    def close(self) -> None:
        s, self._s = self._s, None
        if s is None:
            return
        clean = not self._staged and self._pending is None
        if self.pool is not None:
            self.pool.release(self._key(), s, reusable=clean)
            return
        with _mapped(self.target.name, "close"):
            s.close()

    def _conn(self) -> Any:
        if self._s is None:
            raise TransportError(f"{self.target.name}: no open NAPALM connection")
        return self._s.connection

    def _do(self, doing: str, step: Callable[[], Any]) -> Any:
        with _mapped(self.target.name, doing):
            return step()

    def capabilities(self) -> list[str]:
        """The device's NETCONF capabilities where the NAPALM driver speaks NETCONF, else []."""
        device = getattr(self._conn(), "device", None)
        return [str(c) for c in getattr(device, "server_capabilities", [])]

    # --- reads -------------------------------------------------------------------------------

    def _running(self) -> str:
        configs = self._do("get_config", lambda: self._conn().get_config(retrieve="running"))
        return _as_data(str(configs["running"]))

    def get_config(self, filter_xml: str | None = None) -> str:
        data = self._running()
        return select_top(data, filter_xml) if filter_xml else data

    def diff(self, payload: str | None = None) -> str:
        """NAPALM's compare_config: the native diff of `payload` (loaded, compared, discarded),
        or without a payload, of what is staged now."""
        conn = self._conn()
        if payload is None:
            return str(self._do("compare_config", conn.compare_config))
        if self._staged or self._pending is not None:
            raise InvalidInput(f"{self.target.name}: dry-run diff while a change is staged or pending")
        self.stage(payload)
        try:
            return str(self._do("compare_config", conn.compare_config))
        finally:
            self._do("discard_config", conn.discard_config)
            self._staged = False

    # --- transaction -------------------------------------------------------------------------

    def stage(self, payload: str, *, read_diff: bool = False, key_filters: Sequence[str] = ()) -> None:
        conn = self._conn()
        load = conn.load_replace_candidate if self.replace else conn.load_merge_candidate
        try:
            self._do("load candidate", lambda: load(config=payload))
        except DeviceRejected as e:
            # Refused before anything was loaded (lock-denied): nothing of ours to discard.
            self._staged = e.error.tag != "lock-denied"
            raise
        self._staged = True

    def commit(
        self,
        confirm_timeout: int | None = None,
        persist_id: str | None = None,
        *,
        read_after: Sequence[str] = (),
    ) -> None:
        """`read_after` is not sent ahead: NAPALM has no way to pair reads with the commit."""
        conn = self._conn()
        if confirm_timeout is None:
            self._do("commit", conn.commit_config)
            self._staged = False
            return
        try:
            self._do("commit confirmed", lambda: conn.commit_config(revert_in=confirm_timeout))
            self._pending = "device"
        except CapabilityMissing:
            log.debug("%s: no commit confirm in napalm %s; emulating", self.target.name, self.network_driver)
            pre_image = self._running()
            self._do("commit", conn.commit_config)
            self._pre_image, self._pending = pre_image, "emulated"
        self._staged = False

    def confirm(self, persist_id: str | None = None) -> None:
        if self._pending == "device":
            self._do("confirm_commit", self._conn().confirm_commit)
        self._pending, self._pre_image = None, None

    def cancel_commit(self, persist_id: str) -> None:
        if self._pending == "emulated":
            self._restore()
        elif self._pending == "device":
            self._do("rollback", self._conn().rollback)
            self._pending = None
        else:
            raise CapabilityMissing(f"{self.target.name}: NAPALM cannot cancel a commit it did not make")

    def rollback(self, persist_id: str | None = None) -> None:
        if self._s is None:
            self.open()
        if self._pending is not None:
            self.cancel_commit(persist_id or "")
        if self._staged:
            self._do("discard_config", self._conn().discard_config)
            self._staged = False

    def _restore(self) -> None:
        assert self._pre_image is not None
        conn = self._conn()
        text = _text_config(self._pre_image)
        if text is not None:
            self._do("restore running", lambda: conn.load_replace_candidate(config=text))
        else:
            # A merge whose top-level nodes say replace (and remove what is new), as the NETCONF
            # driver's writable-running fallback: plain edit-config, no copy-config needed.
            pre = etree.fromstring(self._pre_image.encode())
            now = etree.fromstring(self._running().encode())
            config = build_restore(pre, now)
            self._do("restore running", lambda: conn.load_merge_candidate(config=config))
        self._do("restore running: commit", conn.commit_config)
        self._pending, self._pre_image = None, None
