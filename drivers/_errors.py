"""Translate ncclient/paramiko failures into drivers.errors types."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import paramiko
from lxml import etree
from ncclient.operations.errors import MissingCapabilityError, OperationError, TimeoutExpiredError
from ncclient.operations.rpc import RPCError
from ncclient.transport.errors import SessionError
from ncclient.transport.errors import TransportError as NcTransportError

from drivers.errors import CapabilityMissing, DeviceRejected, RpcErrorInfo, TransportError


def _clean(text: str | None) -> str:
    return (text or "").strip()


def _info_dict(info_xml: str | None) -> dict[str, str]:
    """`<error-info>` children as {local-name: text}; leaves of nested elements are flattened."""
    if not info_xml:
        return {}
    root = etree.fromstring(info_xml.encode())
    leaves = (el for el in root.iter() if el is not root and isinstance(el.tag, str) and len(el) == 0)
    return {etree.QName(el).localname: _clean(el.text) for el in leaves}


def rpc_error_info(err: RPCError) -> RpcErrorInfo:
    """The first error-severity rpc-error carried by `err` (ncclient bundles several in `errlist`)."""
    errs = err.errlist or [err]
    first = next((e for e in errs if _clean(e.severity) == "error"), errs[0])
    info = _info_dict(first.info)
    if first.app_tag:
        info["error-app-tag"] = _clean(first.app_tag)
    return RpcErrorInfo(
        type=_clean(first.type),
        tag=_clean(first.tag),
        severity=_clean(first.severity) or "error",
        path=_clean(first.path),
        message=_clean(first.message),
        info=info,
    )


@contextmanager
def mapped_errors(device: str, doing: str) -> Iterator[None]:
    """Re-raise ncclient, paramiko and socket failures as ROM errors naming `device`."""
    try:
        yield
    except RPCError as e:
        raise DeviceRejected(device, rpc_error_info(e)) from e
    except MissingCapabilityError as e:
        raise CapabilityMissing(f"{device}: {doing}: {e}") from e
    except (TimeoutExpiredError, NcTransportError, SessionError, paramiko.SSHException, OSError) as e:
        raise TransportError(f"{device}: {doing}: {type(e).__name__}: {e}") from e
    except OperationError as e:
        # A reply the client could not match to a request: the session is no longer trustworthy.
        raise TransportError(f"{device}: {doing}: {e}") from e
