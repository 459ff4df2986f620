"""Injected faults of a fleet (pure state) and the hooks the protocol servers call.

Kinds (``Fault.kind``):

- ``fail-commit`` / ``fail-validate``: the next ``count`` commits (NETCONF ``commit``, gNMI ``Set``) or
  validates on ``device`` fail with rpc-error ``operation-failed``; the fault is gone once used up.
- ``latency``: every RPC on ``device`` is answered ``latency_ms`` later.
- ``refuse-connections``: new management connections to ``device`` are refused.
- ``link-down``: ``link`` is down (the fleet's ``Network`` follows, see ``sims.world``).
- ``degrade-kpi``: ``slice`` (or every slice) of ``device`` gets ``latency_ms`` more latency and
  ``throughput_factor`` times its throughput.
- ``load``: demand on ``device`` (``slice`` or all) is multiplied by ``load``.
- actions, done once when injected and then only listed: ``drop-sessions``, ``restart``,
  ``config-change`` (``config``: an XML ``<config>`` merged into running out of band).

Hooks: a NETCONF or gNMI server calls ``before_rpc(device, operation)`` before running an operation
(it raises ``RpcError`` or returns the seconds to delay the reply) and ``accepts_connection(device)``
when a client connects. ``conditions(device)`` feeds the KPI models.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from sims.errors import RpcError
from sims.kpi import ALL, Conditions

ACTIONS = frozenset({"drop-sessions", "restart", "config-change"})
KINDS = frozenset(
    {"fail-commit", "fail-validate", "latency", "refuse-connections", "link-down", "degrade-kpi", "load"}
    | ACTIONS
)
COMMIT_OPERATIONS = frozenset({"commit", "Set"})
VALIDATE_OPERATIONS = frozenset({"validate"})
SLICE = re.compile(r"([1-9][0-9]{0,2})-([0-9A-Fa-f]{6})")
MAX_LATENCY_MS = 600_000.0


@dataclass(frozen=True)
class Fault:
    """One injected fault (or a performed action); ``id`` and ``created`` are set by ``FaultState``."""

    kind: str
    device: str | None = None
    link: str | None = None
    slice: str | None = None
    count: int = 1
    latency_ms: float = 0.0
    throughput_factor: float = 1.0
    load: float = 1.0
    message: str | None = None
    config: str | None = None
    id: str = ""
    created: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, without unset optional fields."""
        return {key: value for key, value in asdict(self).items() if value is not None}


def check_fault(fault: Fault) -> Fault:
    """The fault with its slice normalised; ValueError says what is wrong with it."""
    if fault.kind not in KINDS:
        raise ValueError(f"unknown fault kind '{fault.kind}' (known: {', '.join(sorted(KINDS))})")
    if fault.kind == "link-down":
        if not fault.link:
            raise ValueError("link-down needs 'link'")
    elif not fault.device:
        raise ValueError(f"{fault.kind} needs 'device'")
    if fault.kind == "config-change" and not (fault.config or "").strip():
        raise ValueError("config-change needs 'config' (an XML <config> element)")
    if not 1 <= fault.count <= 1_000_000:
        raise ValueError("count must be within 1..1000000")
    if not 0.0 <= fault.latency_ms <= MAX_LATENCY_MS:
        raise ValueError(f"latency_ms must be within 0..{MAX_LATENCY_MS:.0f}")
    if not 0.0 <= fault.throughput_factor <= 1.0:
        raise ValueError("throughput_factor must be within 0..1")
    if not 0.0 <= fault.load <= 1000.0:
        raise ValueError("load must be within 0..1000")
    if fault.slice is None:
        return fault
    match = SLICE.fullmatch(fault.slice.strip())
    if match is None or int(match.group(1)) > 255:
        raise ValueError(f"slice '{fault.slice}' is not '<sst 1..255>-<sd 6 hex digits>'")
    return replace(fault, slice=f"{match.group(1)}-{match.group(2).upper()}")


class FaultState:
    """The faults of one fleet, keyed by id (``f1``, ``f2``, ...)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._faults: dict[str, Fault] = {}
        self._next = 0

    def add(self, fault: Fault) -> Fault:
        """Record a fault (checked); returns it with its id."""
        checked = check_fault(fault)
        self._next += 1
        stored = replace(checked, id=f"f{self._next}", created=self._clock())
        self._faults[stored.id] = stored
        return stored

    def find(self, device: str | None = None, kind: str | None = None) -> list[Fault]:
        """Faults in creation order, optionally of one device and/or kind."""
        return [
            fault
            for fault in self._faults.values()
            if (device is None or fault.device == device) and (kind is None or fault.kind == kind)
        ]

    def get(self, fault_id: str) -> Fault:
        """One fault; KeyError if there is none."""
        return self._faults[fault_id]

    def remove(self, fault_id: str) -> Fault:
        """Clear one fault; KeyError if there is none."""
        return self._faults.pop(fault_id)

    # -- hooks ---------------------------------------------------------------------------------
    def before_rpc(self, device: str, operation: str) -> float:
        """Call before running ``operation`` (NETCONF local name, or gNMI ``Get``/``Set``/``Subscribe``/
        ``Capabilities``) on ``device``: raises the injected RpcError, else returns the delay (s)."""
        kind = (
            "fail-commit"
            if operation in COMMIT_OPERATIONS
            else "fail-validate"
            if operation in VALIDATE_OPERATIONS
            else None
        )
        failing = next(iter(self.find(device, kind)), None) if kind else None
        if failing is not None:
            if failing.count <= 1:
                del self._faults[failing.id]
            else:
                self._faults[failing.id] = replace(failing, count=failing.count - 1)
            raise RpcError(
                tag="operation-failed",
                message=failing.message or f"injected fault {failing.id}: {operation} failed",
                app_tag="injected-fault",
            )
        return sum(fault.latency_ms for fault in self.find(device, "latency")) / 1000.0

    def accepts_connection(self, device: str) -> bool:
        """False while ``device`` refuses new management connections."""
        return not self.find(device, "refuse-connections")

    def conditions(self, device: str) -> Conditions:
        """Load and KPI degradations of ``device`` for the KPI models."""
        load = 1.0
        slice_load: dict[str, float] = {}
        latency: dict[str, float] = {}
        factor: dict[str, float] = {}
        for fault in self.find(device):
            key = fault.slice or ALL
            if fault.kind == "load":
                if fault.slice is None:
                    load *= fault.load
                else:
                    slice_load[key] = slice_load.get(key, 1.0) * fault.load
            elif fault.kind == "degrade-kpi":
                latency[key] = latency.get(key, 0.0) + fault.latency_ms
                factor[key] = factor.get(key, 1.0) * fault.throughput_factor
        return Conditions(load, slice_load, latency, factor)

    def links_down(self) -> set[str]:
        """Ids of the links held down by faults."""
        return {fault.link for fault in self.find(kind="link-down") if fault.link}
