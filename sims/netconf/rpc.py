"""Parse one NETCONF ``<rpc>``, run it against a device and build the ``<rpc-reply>``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from sims.datastore import DEFAULT_CONFIRM_TIMEOUT
from sims.device import SimDevice
from sims.edit import element_children
from sims.errors import RpcError, protocol_error
from sims.netconf.messages import (
    NC_NS,
    data_reply,
    error_reply,
    ok_reply,
    parse_xml,
    qn,
    reply_element,
    serialize,
)
from sims.netconf.schemas import MONITORING_NS, get_schema
from sims.subtree import filter_tree

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """The reply to send, whether to close the session after sending it, and how many seconds
    later to send it (an injected latency fault)."""

    reply: bytes
    close: bool = False
    delay: float = 0.0


def _missing(name: str) -> RpcError:
    error = protocol_error("missing-element", f"<{name}> is required")
    error.info = {"bad-element": name}
    return error


def _datastore_name(op: etree._Element, name: str) -> str:
    holder = op.find(qn(name))
    if holder is None:
        raise _missing(name)
    children = element_children(holder)
    if len(children) != 1 or etree.QName(children[0]).namespace != NC_NS:
        raise protocol_error("invalid-value", f"<{name}> must name one datastore")
    local = etree.QName(children[0]).localname
    if local in ("running", "candidate"):
        return local
    if local == "url":
        raise protocol_error("operation-not-supported", ":url is not supported")
    raise protocol_error("invalid-value", f"datastore '{local}' is not supported")


def _source(op: etree._Element) -> str | etree._Element:
    holder = op.find(qn("source"))
    if holder is not None:
        inline = _config(holder)
        if inline is not None:
            return inline
    return _datastore_name(op, "source")


def _config(holder: etree._Element) -> etree._Element | None:
    """The ``<config>`` child, in the base namespace or (as ncclient often sends it) without one."""
    node = holder.find(qn("config"))
    return holder.find("config") if node is None else node


def _text(op: etree._Element, name: str) -> str | None:
    node = op.find(qn(name))
    return None if node is None else (node.text or "").strip()


class RpcHandler:
    """Runs the RPCs of one NETCONF session."""

    def __init__(self, device: SimDevice, session_id: int) -> None:
        self.device = device
        self.session_id = session_id
        self._ops: dict[str, Callable[[etree._Element], etree._Element | None]] = {
            "get": self._get,
            "get-config": self._get_config,
            "edit-config": self._edit_config,
            "copy-config": self._copy_config,
            "lock": self._lock,
            "unlock": self._unlock,
            "validate": self._validate,
            "commit": self._commit,
            "cancel-commit": self._cancel_commit,
            "discard-changes": self._discard_changes,
            "kill-session": self._kill_session,
        }

    def handle(self, message: bytes) -> Outcome:
        """Answer one framed message."""
        try:
            rpc = parse_xml(message)
        except RpcError as error:
            return Outcome(error_reply(None, error))
        if rpc.tag != qn("rpc"):
            malformed = RpcError(tag="malformed-message", message="expected <rpc>", error_type="rpc")
            return Outcome(error_reply(None, malformed))
        if rpc.get("message-id") is None:
            missing = RpcError(tag="missing-attribute", message="<rpc> lacks message-id", error_type="rpc")
            missing.info = {"bad-attribute": "message-id", "bad-element": "rpc"}
            return Outcome(error_reply(rpc, missing))
        try:
            return self._dispatch(rpc)
        except RpcError as error:
            return Outcome(error_reply(rpc, error))

    def _dispatch(self, rpc: etree._Element) -> Outcome:
        ops = element_children(rpc)
        if len(ops) != 1:
            raise RpcError(tag="malformed-message", message="<rpc> must hold one operation", error_type="rpc")
        op = ops[0]
        qname = etree.QName(op)
        env = self.device.model.environment
        # Injected faults: raises the rpc-error of fail-commit/fail-validate, else the reply's delay.
        delay = env.before_rpc(qname.localname) if env is not None else 0.0
        try:
            reply, close = self._run(rpc, op)
        except RpcError as error:
            return Outcome(error_reply(rpc, error), delay=delay)
        return Outcome(reply, close, delay)

    def _run(self, rpc: etree._Element, op: etree._Element) -> tuple[bytes, bool]:
        qname = etree.QName(op)
        if qname.namespace == NC_NS and qname.localname == "close-session":
            return ok_reply(rpc), True
        handler = self._ops.get(qname.localname) if qname.namespace == NC_NS else None
        custom = None if handler is not None else self.device.model.rpcs.get(str(op.tag))
        if custom is not None:  # a model-specific RPC (e.g. the reachability <ping>)
            reply = reply_element(rpc)
            reply.extend(custom(op, self.device.model.environment) or [etree.Element(qn("ok"))])
            return serialize(reply), False
        if qname.namespace == MONITORING_NS and qname.localname == "get-schema":  # RFC 6022
            return data_reply(rpc, get_schema(op, self.device.model.module_capabilities)), False
        if handler is None:
            raise protocol_error("operation-not-supported", f"operation '{qname.localname}' is not supported")
        data = handler(op)
        return (ok_reply(rpc) if data is None else data_reply(rpc, data)), False

    # Each operation returns None for <ok/> or a fresh <data> element.
    def _filtered(self, op: etree._Element, tree: etree._Element) -> etree._Element:
        filt = op.find(qn("filter"))
        if filt is not None and filt.get("type", "subtree") != "subtree":
            raise protocol_error("operation-not-supported", "only subtree filters are supported")
        return filter_tree(tree, filt)

    def _get(self, op: etree._Element) -> etree._Element | None:
        return self._filtered(op, self.device.operational())

    def _get_config(self, op: etree._Element) -> etree._Element | None:
        return self._filtered(op, self.device.datastore.config(_datastore_name(op, "source")))

    def _edit_config(self, op: etree._Element) -> etree._Element | None:
        config = _config(op)
        if config is None:
            raise _missing("config")
        self.device.datastore.edit(
            _datastore_name(op, "target"),
            config,
            self.session_id,
            default_operation=_text(op, "default-operation") or "merge",
            test_option=_text(op, "test-option") or "test-then-set",
            error_option=_text(op, "error-option") or "stop-on-error",
        )
        return None

    def _copy_config(self, op: etree._Element) -> etree._Element | None:
        self.device.datastore.copy_config(_source(op), _datastore_name(op, "target"), self.session_id)
        return None

    def _lock(self, op: etree._Element) -> etree._Element | None:
        self.device.datastore.lock(_datastore_name(op, "target"), self.session_id)
        return None

    def _unlock(self, op: etree._Element) -> etree._Element | None:
        self.device.datastore.unlock(_datastore_name(op, "target"), self.session_id)
        return None

    def _validate(self, op: etree._Element) -> etree._Element | None:
        self.device.datastore.validate(_source(op))
        return None

    def _commit(self, op: etree._Element) -> etree._Element | None:
        raw_timeout = _text(op, "confirm-timeout")
        timeout = DEFAULT_CONFIRM_TIMEOUT
        if raw_timeout is not None:
            if not raw_timeout.isdigit() or not 0 < int(raw_timeout) <= 4294967295:
                raise protocol_error("invalid-value", f"invalid confirm-timeout '{raw_timeout}'")
            timeout = int(raw_timeout)
        self.device.datastore.commit(
            self.session_id,
            confirmed=op.find(qn("confirmed")) is not None,
            timeout=timeout,
            persist=_text(op, "persist"),
            persist_id=_text(op, "persist-id"),
        )
        return None

    def _cancel_commit(self, op: etree._Element) -> etree._Element | None:
        self.device.datastore.cancel_commit(self.session_id, _text(op, "persist-id"))
        return None

    def _discard_changes(self, op: etree._Element) -> etree._Element | None:
        self.device.datastore.discard_changes(self.session_id)
        return None

    def _kill_session(self, op: etree._Element) -> etree._Element | None:
        raw = _text(op, "session-id")
        if raw is None:
            raise _missing("session-id")
        if not raw.isdigit():
            raise protocol_error("invalid-value", f"invalid session-id '{raw}'")
        if int(raw) == self.session_id:
            raise protocol_error("invalid-value", "a session cannot kill itself")
        if not self.device.kill_session(int(raw)):
            raise protocol_error("invalid-value", f"no session {raw}")
        return None
