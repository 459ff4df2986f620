"""The one contract every southbound driver fulfils."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from drivers.errors import DriverError
from drivers.host_keys import HostKeyPolicy

# Which NETCONF client a driver speaks through: ROM's own (no reader thread per session) or ncclient's
NetconfClientKind = Literal["rom", "ncclient"]


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
    # SSH host key check: an OpenSSH known_hosts file (None: ~/.ssh/known_hosts) and the policy,
    # strict (refuse unknown keys), tofu (record unknown keys) or off; a changed key is always refused.
    known_hosts: str | None = None
    host_key_policy: HostKeyPolicy = "strict"
    # NETCONF client: ROM's own thread-free client (default) or ncclient's Manager
    netconf_client: NetconfClientKind = "rom"
    gnmi_port: int | None = None  # where the device serves gNMI, if it does
    # gNMI transport security: plaintext (gRPC "insecure") unless a CA file is given; a client
    # certificate and key add mutual TLS; server_name overrides the name checked in the
    # device's certificate (e.g. when dialling an IP the certificate does not list).
    gnmi_tls_ca: str | None = None
    gnmi_tls_cert: str | None = None
    gnmi_tls_key: str | None = field(default=None, repr=False)
    gnmi_tls_server_name: str | None = None


@runtime_checkable
class DeviceDriver(Protocol):
    """Transactional access to one device.

    The lifecycle is open -> stage -> commit(confirm_timeout) -> confirm, or
    rollback at any point after stage. Errors raised are drivers.errors types:
    TransportError, DeviceRejected, CapabilityMissing.
    """

    target: DeviceTarget

    def open(self) -> None: ...

    def close(self) -> None: ...

    def capabilities(self) -> list[str]: ...

    def get_config(self, filter_xml: str | None = None) -> str:
        """Running configuration, optionally filtered: NETCONF drivers return a `<data>` XML
        document for a subtree filter; the gNMI driver a JSON object {path: value} for a path
        (or a JSON list of paths)."""
        ...

    def stage(self, payload: str, *, read_diff: bool = False, key_filters: Sequence[str] = ()) -> None:
        """Lock and load `payload` into the candidate (NETCONF: a `<config>` document; gNMI: a
        prepared SetRequest, see drivers.gnmi_payload). `read_diff`: `diff()` will be asked for
        next, so a driver may read what it needs for it along with the load (a hint: the diff is
        the same either way). `key_filters`: subtree filters naming the keys of list entries
        (the resources' read-back filters), so the NETCONF diff reads only the entries edited."""
        ...

    def diff(self, payload: str | None = None) -> str:
        """Dry-run: the device-native diff `payload` would make, as unified-diff text ("" for none).

        Leaves the device and this driver's transaction state as they were. Without a payload:
        the diff of what is staged now (after `stage`, before `commit`), e.g. for the audit trail."""
        ...

    def commit(
        self,
        confirm_timeout: int | None = None,
        persist_id: str | None = None,
        *,
        read_after: Sequence[str] = (),
    ) -> None:
        """Commit the candidate; with a timeout the device reverts unless confirmed. `read_after`:
        subtree filters of running that `get_config` will be asked for next (a hint: a driver may
        read them along with the commit; the answers are the same either way)."""
        ...

    def confirm(self, persist_id: str | None = None) -> None: ...

    def cancel_commit(self, persist_id: str) -> None:
        """Cancel a pending confirmed commit by its persist-id, from any session (crash recovery)."""
        ...

    def rollback(self, persist_id: str | None = None) -> None:
        """Undo what stage/commit did: cancel a pending confirmed commit, discard the candidate, unlock."""
        ...


def attempt(step: Callable[[], None]) -> list[DriverError]:
    """Run one best-effort step (rollback, unlock): the ROM error it raised, if any, as a list."""
    try:
        step()
    except DriverError as e:
        return [e]
    return []
