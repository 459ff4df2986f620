"""Protocol-neutral error type of the simulators, shaped like an RFC 6241 ``rpc-error``."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RpcError(Exception):
    """One RFC 6241 rpc-error (``more`` holds further errors reported together)."""

    tag: str
    message: str = ""
    error_type: str = "application"
    severity: str = "error"
    path: str | None = None
    path_ns: dict[str, str] = field(default_factory=dict)
    info: dict[str, str] = field(default_factory=dict)
    app_tag: str | None = None
    more: list[RpcError] = field(default_factory=list)

    def __str__(self) -> str:
        where = f" at {self.path}" if self.path else ""
        return f"{self.error_type}/{self.tag}{where}: {self.message}"

    def all_errors(self) -> list[RpcError]:
        """This error followed by the further ones."""
        return [self, *self.more]


def protocol_error(tag: str, message: str, **info: str) -> RpcError:
    """An error of error-type ``protocol``."""
    return RpcError(tag=tag, message=message, error_type="protocol", info=dict(info))
