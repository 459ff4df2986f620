"""One gNMI channel as the pool and the driver see it: connect, timed RPCs, errors.

The channel comes from `drivers.grpc_tls` (plaintext, TLS against a CA file, or mutual TLS, with
an optional name override) and is checked with Capabilities; RPCs go through pygnmi's gNMI stubs
with a deadline, and gRPC status codes map to ROM errors here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import grpc
from pygnmi.client import gNMIException
from pygnmi.spec.v080 import gnmi_pb2, gnmi_pb2_grpc

from drivers.base import DeviceTarget
from drivers.errors import CapabilityMissing, DeviceRejected, DriverError, RpcErrorInfo, TransportError
from drivers.grpc_tls import GrpcTls, address, channel
from drivers.pool import PoolKey

log = logging.getLogger(__name__)
Code = grpc.StatusCode
TRANSPORT_CODES = frozenset(
    {Code.UNAVAILABLE, Code.DEADLINE_EXCEEDED, Code.CANCELLED, Code.UNKNOWN, Code.RESOURCE_EXHAUSTED}
)
# gRPC status -> the closest RFC 6241 error-tag, so callers read one kind of rpc-error.
TAGS: dict[grpc.StatusCode, str] = {
    Code.INVALID_ARGUMENT: "invalid-value",
    Code.OUT_OF_RANGE: "invalid-value",
    Code.FAILED_PRECONDITION: "in-use",
    Code.ABORTED: "operation-failed",
    Code.NOT_FOUND: "data-missing",
    Code.ALREADY_EXISTS: "data-exists",
    Code.PERMISSION_DENIED: "access-denied",
    Code.UNAUTHENTICATED: "access-denied",
}
CHANNEL_OPTIONS = [("grpc.max_receive_message_length", 64 * 1024 * 1024)]
PREFERRED = (gnmi_pb2.Encoding.JSON_IETF, gnmi_pb2.Encoding.JSON)


def pool_key(target: DeviceTarget) -> PoolKey:
    t = target
    tls = (t.gnmi_tls_ca, t.gnmi_tls_cert, t.gnmi_tls_key, t.gnmi_tls_server_name)
    return PoolKey("gnmi", t.host, t.gnmi_port or 0, t.username, tls)


def error_info(code: grpc.StatusCode, details: str) -> RpcErrorInfo:
    """A gRPC status as an rpc-error: tag from the code, path split off `"/path: message"`."""
    path, message = "", details
    head, sep, tail = details.partition(": ")
    if sep and head.startswith("/") and " " not in head:
        path, message = head, tail
    protocol = code in (Code.UNAUTHENTICATED, Code.PERMISSION_DENIED)
    return RpcErrorInfo(
        type="protocol" if protocol else "application",
        tag=TAGS.get(code, "operation-failed"),
        path=path,
        message=message,
        info={"grpc-status": code.name, "grpc-code": str(code.value[0])},
    )


def _grpc_error(exc: BaseException | None) -> grpc.RpcError | None:
    while exc is not None:
        if isinstance(exc, grpc.RpcError) and hasattr(exc, "code"):
            return exc
        exc = getattr(exc, "orig_exc", None) or exc.__cause__
    return None


@contextmanager
def mapped_errors(device: str, doing: str) -> Iterator[None]:
    """gRPC, pygnmi and socket failures as ROM errors naming `device`."""
    try:
        yield
    except DriverError:
        raise
    except (grpc.RpcError, gNMIException) as e:
        rpc = _grpc_error(e)
        if rpc is None:
            raise TransportError(f"{device}: {doing}: {e}") from e
        code, details = rpc.code(), str(rpc.details() or "")
        if code in TRANSPORT_CODES:
            raise TransportError(f"{device}: {doing}: {code.name}: {details}") from e
        if code == Code.UNIMPLEMENTED:
            raise CapabilityMissing(f"{device}: {doing}: {details}") from e
        raise DeviceRejected(device, error_info(code, details)) from e
    except (grpc.FutureTimeoutError, OSError, ValueError, TypeError) as e:
        # pygnmi raises TypeError when Capabilities answered nothing usable
        raise TransportError(f"{device}: {doing}: {type(e).__name__}: {e}") from e


def decode(value: gnmi_pb2.TypedValue) -> Any:
    kind = value.WhichOneof("value")
    if kind in ("json_ietf_val", "json_val"):
        raw = getattr(value, kind)
        return json.loads(raw) if raw else None
    if kind == "leaflist_val":
        return [decode(v) for v in value.leaflist_val.element]
    if kind == "decimal_val":
        return value.decimal_val.digits / 10**value.decimal_val.precision
    return getattr(value, kind) if kind else None


class GnmiSession:
    """A connected channel, its stub, and what Capabilities said."""

    def __init__(self, target: DeviceTarget) -> None:
        t = target
        if t.gnmi_port is None:
            raise CapabilityMissing(f"{t.name}: no gNMI port in the inventory for this device")
        self.device = t.name
        self.timeout = t.timeout
        self.metadata = (("username", t.username), ("password", t.password))
        tls = GrpcTls.of(t)
        self.channel: grpc.Channel = channel(address(t.host, t.gnmi_port), tls, CHANNEL_OPTIONS)
        self.stub = gnmi_pb2_grpc.gNMIStub(self.channel)
        self.closed = False
        try:
            caps = self.call("Capabilities", gnmi_pb2.CapabilityRequest())
        except TransportError as e:
            self.close()
            if tls is None:
                raise
            raise TransportError(f"{e} ({tls.describe()})") from e
        except DriverError:
            self.close()
            raise
        self.version = caps.gNMI_version
        self.models = [f"{m.name}@{m.version}" if m.version else m.name for m in caps.supported_models]
        offered = set(caps.supported_encodings)
        chosen = next((e for e in PREFERRED if e in offered), None)
        if chosen is None:
            names = sorted(gnmi_pb2.Encoding.Name(e) for e in offered)
            self.close()
            raise CapabilityMissing(f"{t.name}: gNMI target offers neither JSON_IETF nor JSON ({names})")
        self.encoding = chosen

    @property
    def json_ietf(self) -> bool:
        return self.encoding == gnmi_pb2.Encoding.JSON_IETF

    def call(self, rpc: str, request: Any, timeout: float | None = None) -> Any:
        with mapped_errors(self.device, rpc):
            return getattr(self.stub, rpc)(request, metadata=self.metadata, timeout=timeout or self.timeout)

    def call_each(self, rpc: str, requests: Sequence[Any]) -> list[Any]:
        """The same RPC once per request, all sent at once on the channel (one round trip, not
        one per request): each reply in order, or the `DriverError` that request met."""
        method = getattr(self.stub, rpc)
        with mapped_errors(self.device, rpc):
            calls = [method.future(r, metadata=self.metadata, timeout=self.timeout) for r in requests]
        out: list[Any] = []
        for call in calls:
            try:
                with mapped_errors(self.device, rpc):
                    out.append(call.result())
            except DriverError as e:
                out.append(e)
        return out

    def alive(self, probe: bool) -> bool:
        if self.closed:
            return False
        if not probe:
            return True
        try:
            self.call("Capabilities", gnmi_pb2.CapabilityRequest(), timeout=min(self.timeout, 5.0))
        except DriverError:
            return False
        return True

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.channel.close()
