"""After the example orders (docs/examples), every simulated device's whole running datastore, read
over NETCONF with a stock ncclient, validates against the upstream YANG modules as a datastore
(`yanglint -t config`: types, keys, mandatory nodes, leafrefs), as a user with real equipment would
check it. The 5G functions are checked against 3GPP TS 28.541 Release 17 plus ROM's augment modules
(yang/: DNNs, UPF capacity, SMF associations, RRMPolicyRatio under the cell)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from lxml import etree

from core.tmf652 import ResourceOrderCreate
from inventory.context import Context
from inventory.records import utcnow
from lab.support import REPO, netconf_connect
from rom import order_store as store
from rom.executor import execute_order
from rom.orders import submit_order
from sims.fleet import FleetThread, SimDeviceSpec
from tests.integration.conftest import make_settings, register_fleet
from tests.yanglint import validate

pytestmark = pytest.mark.integration
EXAMPLES = ("l3vpn-order.json", "5g-slice-order.json")
DEVICES = {"pe1": "router", "pe2": "router", "upf1": "upf", "smf1": "smf", "gnb1": "gnb", "amf1": "amf"}
FAMILY = {"router": "openconfig", "upf": "3gpp", "smf": "3gpp", "amf": "3gpp", "gnb": "3gpp"}


@dataclass
class Lab:
    fleet: FleetThread
    states: dict[str, str]  # example -> final order state

    def running(self, device: str) -> str:
        """The device's running datastore over NETCONF: the children of <data>, as XML text."""
        ep = self.fleet.endpoint(device)
        with netconf_connect(ep.host, ep.netconf_port) as m:
            data = etree.fromstring(m.get_config(source="running").data_xml.encode())
        return "".join(etree.tostring(child, encoding="unicode") for child in data)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with FleetThread([SimDeviceSpec(name, model) for name, model in DEVICES.items()]) as fleet:
        settings = make_settings(  # a fleet without links: reachability is not what this checks
            tmp_path_factory.mktemp("yang"), kpi_baselines=False, reachability_checks=False
        )
        ctx = Context.create(settings)
        register_fleet(ctx, fleet)
        states = {}
        for example in EXAMPLES:
            body = json.loads((REPO / "docs" / "examples" / example).read_text())
            doc, _ = submit_order(ctx, ResourceOrderCreate.model_validate(body), "yang")
            with ctx.transaction() as session:
                row = store.get_order(session, doc["id"])
                assert row is not None
                assert store.claim_order(session, row, "t", utcnow() + timedelta(seconds=60))
            states[example] = execute_order(ctx, doc["id"])
        yield Lab(fleet, states)
        ctx.engine.dispose()


def test_the_example_orders_complete(lab: Lab) -> None:
    assert lab.states == dict.fromkeys(EXAMPLES, "completed")


def _cases() -> list[object]:
    return [
        pytest.param(
            name,
            model,
            id=f"{name}.{model}",
        )
        for name, model in DEVICES.items()
    ]


@pytest.mark.parametrize(("device", "model"), _cases())
def test_running_datastore_validates_against_upstream_yang(lab: Lab, device: str, model: str) -> None:
    running = lab.running(device)
    assert validate(running, "xml", FAMILY[model], "config") == [], running


def test_pe1_holds_the_slice_on_the_openconfig_qos_paths(lab: Lab) -> None:
    running = lab.running("pe1")
    for needle in ("<scheduler-policy>", "ROM-EGRESS-Ethernet1", "<cir>1000000000</cir>", "STRICT"):
        assert needle in running, needle
