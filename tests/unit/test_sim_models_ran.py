"""The gNB DU model: schema, RRM policy rules on validate/commit, KPIs in the state tree."""

from __future__ import annotations

import pytest
from lxml import etree

from sims.datastore import CANDIDATE, Datastore
from sims.errors import RpcError
from sims.kpi import Conditions
from sims.models import get_model
from sims.models.ran import CELL, GNBDU, KPI, ME, RRM, _cell

GNB = get_model("gnb")
NS = {"me": ME, "du": GNBDU, "cell": CELL, "rrm": RRM, "kpi": KPI}


def _policy(ident: str, ratios: tuple[int, int, int], sst: int = 1, sd: str = "000001", cell: int = 1) -> str:
    high, low, dedicated = ratios
    return (
        f"<config xmlns='urn:ietf:params:xml:ns:netconf:base:1.0'><ManagedElement xmlns='{ME}'><id>gnb1</id>"
        f"<GNBDUFunction xmlns='{GNBDU}'><id>1</id>"
        f"<NRCellDU xmlns='{CELL}'><id>{cell}</id><RRMPolicyRatio xmlns='{RRM}'><id>{ident}</id><attributes>"
        f"<resourceType>PRB</resourceType><rRMPolicyMemberList><mcc>001</mcc><mnc>01</mnc><sd>{sd}</sd><sst>{sst}</sst>"
        f"</rRMPolicyMemberList><rRMPolicyMaxRatio>{high}</rRMPolicyMaxRatio>"
        f"<rRMPolicyMinRatio>{low}</rRMPolicyMinRatio><rRMPolicyDedicatedRatio>{dedicated}"
        "</rRMPolicyDedicatedRatio></attributes></RRMPolicyRatio></NRCellDU></GNBDUFunction></ManagedElement></config>"
    )


def _store() -> Datastore:
    return Datastore(GNB.schema, GNB.initial_config("gnb1"))


def _apply(store: Datastore, xml: str) -> None:
    store.edit(CANDIDATE, etree.fromstring(xml), 1)
    store.commit(1)


def test_model_identity() -> None:
    assert (GNB.name, GNB.platform) == ("gnb", "rom-ran")
    assert any("_3gpp-nr-nrm-rrmpolicy" in cap for cap in GNB.module_capabilities)
    assert GNB.schema.check_rules(GNB.initial_config("gnb1")) == []
    data = GNB.operational(GNB.initial_config("gnb1"), 10.0)
    cell = data.find(f".//{{{CELL}}}NRCellDU")
    assert cell is not None
    kpis, attributes = cell.find(f"{{{KPI}}}kpis"), cell.find(f"{{{CELL}}}attributes")
    assert kpis is not None and attributes is not None
    assert GNB.schema.is_state(kpis) and not GNB.schema.is_state(attributes)
    assert GNB.schema.is_state(attributes.find(f"{{{CELL}}}operationalState"))


def test_valid_policy_commits_and_carries_slice_traffic() -> None:
    store = _store()
    state = GNB.operational(store.running, 30.0)
    assert state.xpath("//kpi:slice", namespaces=NS) == []
    _apply(store, _policy("embb", (60, 30, 10)))
    state = GNB.operational(store.running, 30.0)
    (throughput,) = state.xpath(
        "//cell:NRCellDU[cell:id='1']/kpi:kpis/kpi:slice/kpi:throughputDl/text()", namespaces=NS
    )
    assert float(throughput) > 0
    totals = "/*/me:ManagedElement/du:GNBDUFunction/kpi:kpis/kpi:slice[kpi:sst='1']/kpi:sd/text()"
    (total,) = state.xpath(totals, namespaces=NS)
    assert total == "000001"
    assert state.xpath("//cell:NRCellDU[cell:id='2']/kpi:kpis/kpi:slice", namespaces=NS) == []
    used = state.xpath("//cell:NRCellDU[cell:id='1']/kpi:kpis/kpi:RRU.PrbUsedDl/text()", namespaces=NS)
    assert float(used[0]) > 0
    assert state.xpath("//cell:operationalState/text()", namespaces=NS) == ["ENABLED", "ENABLED"]


def test_dedicated_above_min_is_invalid_value_with_path() -> None:
    store = _store()
    with pytest.raises(RpcError) as caught:
        _apply(store, _policy("bad", (50, 10, 20)))
    error = caught.value
    assert error.tag == "invalid-value"
    assert error.path is not None and error.path.endswith("romrrm:rRMPolicyDedicatedRatio")
    assert "RRMPolicyRatio[romrrm:id='bad']" in error.path
    assert store.running.xpath("//rrm:RRMPolicyRatio", namespaces=NS) == []


def test_min_above_max_is_invalid_value() -> None:
    store = _store()
    store.edit(CANDIDATE, etree.fromstring(_policy("bad", (20, 30, 0))), 1)
    with pytest.raises(RpcError) as caught:
        store.validate(CANDIDATE)
    assert caught.value.tag == "invalid-value"
    assert caught.value.path is not None and caught.value.path.endswith("rRMPolicyMinRatio")


def test_dedicated_sum_over_100_per_cell_fails() -> None:
    store = _store()
    _apply(store, _policy("a", (70, 60, 60), sd="000001"))
    _apply(store, _policy("other-cell", (70, 60, 60), sd="000002", cell=2))
    with pytest.raises(RpcError) as caught:
        _apply(store, _policy("b", (50, 45, 45), sd="000002"))
    error = caught.value
    assert error.tag == "operation-failed" and error.app_tag == "must-violation"
    assert "rRMPolicyDedicatedRatio" in error.message and "105" in error.message
    assert [more.tag for more in error.more] == ["operation-failed"]  # the min ratios too
    assert error.path is not None and "NRCellDU[nrcelldu3gpp:id='1']" in error.path


def test_out_of_range_leaves_are_refused_at_edit() -> None:
    store = _store()
    with pytest.raises(RpcError) as caught:
        store.edit(CANDIDATE, etree.fromstring(_policy("x", (101, 0, 0))), 1)
    assert caught.value.tag == "invalid-value"
    with pytest.raises(RpcError):
        store.edit(CANDIDATE, etree.fromstring(_policy("x", (10, 0, 0), sd="XYZ")), 1)
    cell = (
        f"<config xmlns='urn:ietf:params:xml:ns:netconf:base:1.0'><ManagedElement xmlns='{ME}'><id>gnb1</id>"
        f"<GNBDUFunction xmlns='{GNBDU}'><id>1</id>"
        f"<NRCellDU xmlns='{CELL}'><id>9</id><attributes><cellLocalId>16384</cellLocalId></attributes>"
        "</NRCellDU></GNBDUFunction></ManagedElement></config>"
    )
    with pytest.raises(RpcError) as caught:
        store.edit(CANDIDATE, etree.fromstring(cell), 1)
    assert "16383" in caught.value.message


def test_duplicate_cell_local_id_fails_commit() -> None:
    store = _store()
    complete = _cell("gnb1", 0, 9, 100).replace(
        "<cellLocalId>9</cellLocalId>", "<cellLocalId>1</cellLocalId>"
    )
    cell = (
        f"<config xmlns='urn:ietf:params:xml:ns:netconf:base:1.0'><ManagedElement xmlns='{ME}'><id>gnb1</id>"
        f"<GNBDUFunction xmlns='{GNBDU}'><id>1</id>{complete}</GNBDUFunction></ManagedElement></config>"
    )
    with pytest.raises(RpcError) as caught:
        _apply(store, cell)
    assert caught.value.tag == "operation-failed"


def test_live_state_sees_conditions() -> None:
    store = _store()
    _apply(store, _policy("embb", (100, 0, 0)))
    assert GNB.live_state is not None
    path = "/*/me:ManagedElement/du:GNBDUFunction/kpi:kpis/kpi:slice/kpi:latency/text()"
    base = float(GNB.live_state(store.running, 5.0, Conditions()).xpath(path, namespaces=NS)[0])
    worse = GNB.live_state(store.running, 5.0, Conditions(extra_latency_ms={"1-000001": 30.0}))
    assert float(worse.xpath(path, namespaces=NS)[0]) == pytest.approx(base + 30.0, abs=0.02)


def test_locked_cell_is_disabled() -> None:
    store = _store()
    lock = (
        f"<config xmlns='urn:ietf:params:xml:ns:netconf:base:1.0'><ManagedElement xmlns='{ME}'><id>gnb1</id>"
        f"<GNBDUFunction xmlns='{GNBDU}'><id>1</id>"
        f"<NRCellDU xmlns='{CELL}'><id>2</id><attributes><administrativeState>LOCKED</administrativeState>"
        "</attributes></NRCellDU></GNBDUFunction></ManagedElement></config>"
    )
    _apply(store, lock)
    state = GNB.operational(store.running, 5.0)
    assert state.xpath("//cell:operationalState/text()", namespaces=NS) == ["ENABLED", "DISABLED"]
