"""What drivers raise: one root, the RFC 6241 taxonomy and transport failures. The application
maps these to its own answers (an order's note, a TMF error body, a CLI message)."""

from __future__ import annotations

from dataclasses import dataclass, field


class DriverError(Exception):
    """Root of every error a driver raises on purpose."""


class InvalidInput(DriverError):
    """The caller gave the driver something malformed (a payload, a filter, a file); nothing was sent."""


class TransportError(DriverError):
    """The device could not be reached or the session broke. Retryable."""


class CapabilityMissing(DriverError):
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


class DeviceRejected(DriverError):
    """The device refused an operation with an rpc-error."""

    def __init__(self, device: str, error: RpcErrorInfo) -> None:
        super().__init__(f"{device} rejected the request: {error}")
        self.device = device
        self.error = error
