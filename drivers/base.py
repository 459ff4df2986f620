"""The one contract every southbound driver fulfils."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class DeviceTarget:
    """How to reach one device: what the Nornir inventory hands a driver."""

    name: str
    host: str
    port: int
    platform: str
    username: str
    password: str = field(repr=False)
    timeout: float = 30.0
    key_file: str | None = None  # SSH private key; tried before the password when set
    gnmi_port: int | None = None  # where the device serves gNMI, if it does


@runtime_checkable
class DeviceDriver(Protocol):
    """Transactional access to one device.

    The lifecycle is open -> stage -> commit(confirm_timeout) -> confirm, or
    rollback at any point after stage. Errors raised are rom.errors types:
    TransportError, DeviceRejected, CapabilityMissing.
    """

    target: DeviceTarget

    def open(self) -> None: ...

    def close(self) -> None: ...

    def capabilities(self) -> list[str]: ...

    def get_config(self, filter_xml: str | None = None) -> str:
        """Running configuration as a `<data>` XML document, optionally subtree-filtered."""
        ...

    def stage(self, payload: str) -> None:
        """Lock and load `payload` (a `<config>` document) into the candidate."""
        ...

    def commit(self, confirm_timeout: int | None = None, persist_id: str | None = None) -> None:
        """Commit the candidate; with a timeout the device reverts unless confirmed."""
        ...

    def confirm(self, persist_id: str | None = None) -> None: ...

    def cancel_commit(self, persist_id: str) -> None:
        """Cancel a pending confirmed commit by its persist-id, from any session (crash recovery)."""
        ...

    def rollback(self, persist_id: str | None = None) -> None:
        """Undo what stage/commit did: cancel a pending confirmed commit, discard the candidate, unlock."""
        ...
