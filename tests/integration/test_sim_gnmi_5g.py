"""gNMI Get on 5G devices with pygnmi: STATE carries the 3GPP KPIs and operational state, CONFIG none."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pygnmi.client import gNMIclient

from sims.fleet import Fleet, FleetThread, SimDeviceSpec
from tests.integration.test_sim_control import POLICY

pytestmark = pytest.mark.integration
GNB = "_3gpp-nr-nrm-gnbdufunction:GNBDUFunction"
CELL = "_3gpp-nr-nrm-nrcelldu:NRCellDU"
UPF = "_3gpp-5gc-nrm-upffunction:UPFFunction"
KPIS = "rom-sim-kpi:kpis"
ME = "_3gpp-common-managed-element:ManagedElement"


@pytest.fixture(scope="module")
def fleet() -> Iterator[FleetThread]:
    specs = [SimDeviceSpec("gnb1", model="gnb"), SimDeviceSpec("upf1", model="upf")]
    with FleetThread(specs, control_port=None) as running:

        def configure(f: Fleet) -> None:
            f.world.change_config("gnb1", POLICY)

        running.call(configure)
        yield running


def get(fleet: FleetThread, name: str, datatype: str) -> Any:
    with gNMIclient(
        target=("127.0.0.1", fleet.gnmi_port(name)), username="admin", password="admin", insecure=True
    ) as gc:
        response = gc.get(path=["/"], datatype=datatype, encoding="json_ietf")
    return response["notification"][0]["update"][0]["val"]


def test_gnb_state_get_returns_the_kpi_leaves(fleet: FleetThread) -> None:
    gnb = get(fleet, "gnb1", "state")[ME][0][GNB][0]
    cell = next(each for each in gnb[CELL] if each["id"] == "1")
    assert cell["attributes"] == {"operationalState": "ENABLED"}  # no config attribute left
    assert "rom-nr-rrm-ext:RRMPolicyRatio" not in cell
    kpis = cell[KPIS]
    for leaf in ("RRU.PrbUsedDl", "DRB.UEThpDl", "DRB.RlcSduDelayDl", "RRC.ConnMean"):
        assert float(kpis[leaf]) >= 0.0, leaf
    [only] = kpis["slice"]  # a YANG list (keys sst, sd): one entry per slice
    assert only["sd"] == "000001" and float(only["throughputDl"]) > 0
    assert "RRMPolicyRatio" not in str(gnb)


def test_gnb_config_get_has_no_state(fleet: FleetThread) -> None:
    config = get(fleet, "gnb1", "config")
    assert "RRMPolicyRatio" in str(config)
    assert KPIS not in str(config) and "operationalState" not in str(config)


def test_upf_state_get_returns_session_kpis(fleet: FleetThread) -> None:
    upf = get(fleet, "upf1", "state")[ME][0][UPF][0]
    assert "attributes" not in upf  # Release 17's UPF has no state attribute (no operationalState)
    assert int(upf[KPIS]["maxSessions"]) > 0 and "sessionCount" in upf[KPIS]
