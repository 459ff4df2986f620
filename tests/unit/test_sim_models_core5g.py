"""UPF, SMF and AMF models: schema, slices, capacity and session KPIs."""

from __future__ import annotations

import pytest
from lxml import etree

from sims.datastore import CANDIDATE, Datastore
from sims.errors import RpcError
from sims.kpi import Conditions
from sims.models import get_model
from sims.models.core5g import AMF, EXT, KPI, ME, SMF, UPF

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"


def _store(name: str) -> Datastore:
    model = get_model(name)
    return Datastore(model.schema, model.initial_config(f"{name}1"))


def _upf_edit(body: str) -> etree._Element:
    return etree.fromstring(
        f"<config xmlns='{NC}'><ManagedElement xmlns='{ME}'><id>upf1</id><UPFFunction xmlns='{UPF}'>"
        f"<id>upf1</id><attributes>{body}</attributes></UPFFunction></ManagedElement></config>"
    )


def _sessions(name: str, running: etree._Element, conditions: Conditions | None = None) -> int:
    model = get_model(name)
    assert model.live_state is not None
    state = model.live_state(running, 10.0, conditions or Conditions())
    return int(state.xpath("//k:kpis/k:sessionCount/text()", namespaces={"k": KPI})[0])


@pytest.mark.parametrize("name", ["upf", "smf", "amf"])
def test_models_are_registered_with_a_valid_factory_config(name: str) -> None:
    model = get_model(name)
    assert model.name == name and model.platform == "rom-5gc"
    assert model.schema.check_rules(model.initial_config("x")) == []
    store = _store(name)
    store.validate("running")


def test_slice_keys_and_values_are_checked() -> None:
    store = _store("upf")
    with pytest.raises(RpcError) as caught:
        store.edit(CANDIDATE, _upf_edit("<sNSSAIList><sst>0</sst><sd>000001</sd></sNSSAIList>"), 1)
    assert caught.value.tag == "invalid-value" and caught.value.path is not None
    with pytest.raises(RpcError):
        store.edit(CANDIDATE, _upf_edit("<sNSSAIList><sst>1</sst><sd>00001G</sd></sNSSAIList>"), 1)
    with pytest.raises(RpcError) as caught:
        store.edit(CANDIDATE, _upf_edit("<sNSSAIList><sst>2</sst></sNSSAIList>"), 1)
    assert caught.value.tag == "missing-element"


def test_upf_slice_and_capacity_drive_sessions() -> None:
    store = _store("upf")
    before = _sessions("upf", store.running)
    slice_xml = (
        f"<sNSSAIList><sd>000002</sd><sst>2</sst><dnnList xmlns='{EXT}'><dnn>factory.example</dnn></dnnList>"
        "</sNSSAIList>"
    )
    store.edit(CANDIDATE, _upf_edit(slice_xml), 1)
    store.commit(1)
    with_slice = _sessions("upf", store.running)
    assert with_slice > before
    store.edit(CANDIDATE, _upf_edit(f"<maxSessions xmlns='{EXT}'>100</maxSessions>"), 1)
    store.commit(1)
    assert 90 <= _sessions("upf", store.running) <= 100
    state = get_model("upf").operational(store.running, 10.0)
    rejected = state.xpath("//k:rejectedSessions/text()", namespaces={"k": KPI})
    assert int(rejected[0]) > 0
    assert _sessions("upf", store.running, Conditions(load=0.01)) < 100


def test_upf_load_and_degradation() -> None:
    running = _store("upf").running
    assert _sessions("upf", running, Conditions(load=2.0)) > _sessions("upf", running)
    model = get_model("upf")
    assert model.live_state is not None
    degraded = model.live_state(running, 1.0, Conditions(extra_latency_ms={"*": 12.0}))
    latency = degraded.xpath("//k:slice/k:latency/text()", namespaces={"k": KPI})
    assert float(latency[0]) >= 12.0


def test_smf_association_and_amf_registrations() -> None:
    store = _store("smf")
    association = (
        f"<config xmlns='{NC}'><ManagedElement xmlns='{ME}'><id>smf1</id>"
        f"<SMFFunction xmlns='{SMF}'><id>smf1</id>"
        f"<attributes><upfAssociationList xmlns='{EXT}'><upfId>upf1</upfId><n4Address>10.0.0.10</n4Address>"
        "</upfAssociationList></attributes></SMFFunction></ManagedElement></config>"
    )
    store.edit(CANDIDATE, etree.fromstring(association), 1)
    store.commit(1)
    state = get_model("smf").operational(store.running, 3.0)
    assert state.xpath("//s:upfAssociationList/s:associationState/text()", namespaces={"s": EXT}) == [
        "ASSOCIATED"
    ]
    assert _sessions("smf", store.running) > 0
    amf = get_model("amf").operational(_store("amf").running, 3.0)
    assert int(amf.xpath("//k:registeredUeCount/text()", namespaces={"k": KPI})[0]) > 0
    assert amf.xpath("//a:operationalState", namespaces={"a": AMF}) == []  # not in Release 17's AMF
