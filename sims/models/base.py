"""What a simulated device model provides: schema, capabilities, initial config, state."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

from lxml import etree

from sims.schema import Rule, Schema
from sims.schema_yang import model_schema
from sims.yanglib import YangSpec, capabilities

if TYPE_CHECKING:
    from sims.kpi import Conditions
    from sims.reachability import Reachability

NC_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
DATA_TAG = f"{{{NC_NS}}}data"


class Environment(Protocol):
    """The world around one device, as a fleet provides it to model hooks (``sims.world.DeviceEnv``)."""

    @property
    def device(self) -> str: ...

    def conditions(self) -> Conditions:
        """Injected load and KPI degradations currently applying to this device."""
        ...

    def ping(self, network_instance: str, destination: str) -> Reachability:
        """Whether ``destination`` is reachable from this device inside a VRF."""
        ...

    def before_rpc(self, operation: str) -> float:
        """Raise an injected RpcError for this operation, else return extra latency in seconds."""
        ...

    def accepts_connection(self) -> bool:
        """False while new management connections are refused."""
        ...


ModelRpc = Callable[[etree._Element, "Environment | None"], list[etree._Element]]
"""A model-specific RPC: ``(operation element, environment) -> children of <rpc-reply>``.

Raise ``sims.errors.RpcError`` for an rpc-error; an empty list means ``<ok/>``."""

LiveState = Callable[[etree._Element, float, "Conditions"], etree._Element]
"""``operational`` that also sees the device's conditions (injected load, degradations)."""


@dataclass(frozen=True)
class DeviceModel:
    """A device model: ``initial_config(hostname)`` and ``operational(running, uptime_s)`` build trees
    rooted at ``<data>`` in the NETCONF base namespace.

    ``yang`` names the modules the device implements and its deviation module: its ``schema`` is
    derived from them (once per process), its module capabilities announce them; ``rules`` are
    the cross-leaf checks its YANG does not state. ``rpcs`` maps the Clark tag of a custom operation
    to its handler; ``live_state`` (optional) is the condition-aware form of ``operational``;
    ``environment`` is set on a per-device copy by ``bind_environment``. ``local_state``: the state
    ``operational`` adds to an element depends only on that element's own subtree, so a gNMI Get
    may build the state of the part of running its paths reach (``sims.gnmi.scope``)."""

    name: str
    platform: str
    yang: YangSpec
    initial_config: Callable[[str], etree._Element]
    operational: Callable[[etree._Element, float], etree._Element]
    writable_running: bool = False
    rpcs: Mapping[str, ModelRpc] = field(default_factory=dict)
    live_state: LiveState | None = None
    environment: Environment | None = None
    rules: tuple[Rule, ...] = ()
    extra_capabilities: tuple[str, ...] = ()
    local_state: bool = False

    @property
    def schema(self) -> Schema:
        """The data tree the datastore and the protocol servers check edits against."""
        return model_schema(self.yang, self.rules)

    @property
    def module_capabilities(self) -> tuple[str, ...]:
        """NETCONF module capabilities: the YANG modules (and deviations), then the extra ones."""
        return capabilities(self.yang) + self.extra_capabilities


def bind_environment(
    model: DeviceModel,
    environment: Environment,
    rpcs: Mapping[str, ModelRpc] | None = None,
    extra: tuple[str, ...] = (),
) -> DeviceModel:
    """A per-device copy of ``model`` whose state sees ``environment`` and which adds ``rpcs``."""
    operational = model.operational
    live = model.live_state
    if live is not None:

        def operational(running: etree._Element, uptime: float) -> etree._Element:
            return live(running, uptime, environment.conditions())

    return replace(
        model,
        operational=operational,
        environment=environment,
        rpcs={**model.rpcs, **(rpcs or {})},
        extra_capabilities=model.extra_capabilities
        + tuple(cap for cap in extra if cap not in model.module_capabilities),
    )


def parse_data(xml: str) -> etree._Element:
    """Parse a ``<data>`` document written without blank text."""
    parser = etree.XMLParser(remove_blank_text=True)
    return etree.fromstring(xml.encode(), parser)
