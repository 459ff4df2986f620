"""One exception root for everything ROM raises on purpose."""

from __future__ import annotations

from dataclasses import dataclass, field


class RomError(Exception):
    """Root of ROM's own errors."""


class InvalidRequest(RomError):
    """The caller asked for something malformed or impossible; nothing was changed."""


class Unprocessable(InvalidRequest):
    """Well-formed, but naming what does not exist or cannot be done (TMF 422); see
    docs/order-flow.md for where the line between 400 and 422 runs."""


class NotFound(RomError):
    """A named object does not exist."""


class Conflict(RomError):
    """The request is well-formed but conflicts with the current state (TMF 409)."""


class TransportError(RomError):
    """The device could not be reached or the session broke. Retryable."""


class CapabilityMissing(RomError):
    """The device does not announce a capability the operation needs."""


@dataclass(frozen=True)
class RpcErrorInfo:
    """An RFC 6241 rpc-error, as the device sent it."""

    type: str = ""
    tag: str = ""
    severity: str = "error"
    path: str = ""
    message: str = ""
    info: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        where = f" at {self.path}" if self.path else ""
        return f"{self.tag or 'rpc-error'}{where}: {self.message or '(no message)'}"


class DeviceRejected(RomError):
    """The device refused an operation with an rpc-error."""

    def __init__(self, device: str, error: RpcErrorInfo) -> None:
        super().__init__(f"{device} rejected the request: {error}")
        self.device = device
        self.error = error
