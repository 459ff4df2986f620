"""Adopt's template probing and the pool definitions (pure)."""

from __future__ import annotations

from itertools import islice
from typing import Any

import pytest

from core.errors import InvalidRequest
from drift.adopt import leaf_map
from drift.unmanaged import ManagedList, find_unmanaged
from intent.catalog import Catalog
from intent.render import render_resource
from inventory.pool_defs import check_definition

VALUES: dict[str, Any] = {
    "device": "pe1",
    "vrfName": "A",
    "routeDistinguisher": "65000:1",
    "interface": "Ethernet2",
    "vlanId": 100,
    "ipv4Address": "10.0.0.1",
    "prefixLength": 31,
    "description": "",
}


def test_probing_maps_leaves_to_characteristics_but_not_keys() -> None:
    catalog = Catalog.load()
    mapping = leaf_map(catalog, catalog.get("l3vpn-endpoint"), "pe1", "rom-router", VALUES)
    assert (
        mapping["/network-instances/network-instance[name=A]/config/route-distinguisher"]
        == "routeDistinguisher"
    )
    sub = "/interfaces/interface[name=Ethernet2]/subinterfaces/subinterface[index=100]"
    assert mapping[f"{sub}/config/description"] == "description"
    assert mapping[f"{sub}/ipv4/addresses/address/config/prefix-length"] == "prefixLength"
    assert not {"vlanId", "vrfName", "interface"} & set(mapping.values())  # they name the entries


def test_probing_gnmi_documents_maps_leaves_but_not_keys_or_scaled_values() -> None:
    catalog = Catalog.load()
    qos = {"device": "pe1", "interface": "Ethernet1", "queueName": "Q", "priority": 5, "bandwidthMbps": 10}
    qos |= {"burstBytes": 1500, "strictPriority": True, "schedulerSequence": 3}
    mapping = leaf_map(catalog, catalog.get("transport-qos"), "pe1", "rom-router", qos)
    scheduler = (
        "/openconfig-qos:qos/scheduler-policies/scheduler-policy[name=ROM-EGRESS-Ethernet1]"
        "/schedulers/scheduler[sequence=3]"
    )
    assert mapping == {  # not cir (bandwidthMbps scaled), not the sequence or the queue (keys)
        f"{scheduler}/inputs/input[id=Q]/config/weight": "priority",
        f"{scheduler}/one-rate-two-color/config/bc": "burstBytes",
    }
    ran = {"device": "gnb1", "duId": "1", "cellId": "1", "policyId": "p", "sst": 1, "sd": "FFFFFF"}
    ratios = {"maxRatio": 50, "minRatio": 10, "dedicatedRatio": 5, "mcc": "001", "mnc": "01"}
    mapping = leaf_map(catalog, catalog.get("slice-ran"), "gnb1", "rom-ran", {**ran, **ratios})
    assert (
        mapping[
            "/_3gpp-common-managed-element:ManagedElement[id=gnb1]/_3gpp-nr-nrm-gnbdufunction:GNBDUFunction[id=1]"
            "/_3gpp-nr-nrm-nrcelldu:NRCellDU[id=1]/rom-nr-rrm-ext:RRMPolicyRatio[id=p]/attributes/rRMPolicyMaxRatio"
        ]
        == "maxRatio"
    )
    assert not {"policyId", "cellId", "duId", "device"} & set(mapping.values())  # they are in the path


def test_probing_renders_the_role_asked_for() -> None:
    catalog = Catalog.load()
    values = {"upfDevice": "c1", "smfDevice": "c1", "sst": 1, "sd": "FFFFFF", "dnn": "x", "upfMaxSessions": 9}
    values |= {"upfFunctionId": "", "smfFunctionId": ""}
    spec = catalog.get("slice-core")
    upf = leaf_map(catalog, spec, "c1", "rom-5gc", values, role="upf")
    assert upf == {"/ManagedElement[id=c1]/UPFFunction[id=c1]/attributes/maxSessions": "upfMaxSessions"}
    assert leaf_map(catalog, spec, "c1", "rom-5gc", values) == upf  # the first role naming the device
    assert leaf_map(catalog, spec, "c1", "rom-5gc", values, role="smf") == {}  # keys only on the SMF


def test_unmanaged_are_entries_no_intent_names() -> None:
    catalog = Catalog.load()
    payload, _ = render_resource(catalog.root, catalog.get("l3vpn-endpoint"), "rom-router", VALUES)
    scope = ManagedList.model_validate(
        {
            "namespace": "http://openconfig.net/yang/network-instance",
            "container": "network-instances",
            "list": "network-instance",
            "key": "name",
            "except": ["default"],
        }
    )
    from lxml import etree

    ns = scope.namespace
    data = etree.fromstring(
        f'<data><network-instances xmlns="{ns}">'
        + "".join(f"<network-instance><name>{n}</name></network-instance>" for n in ("default", "A", "X"))
        + "</network-instances></data>"
    )
    assert [u.key for u in find_unmanaged("pe1", scope, data, [payload])] == ["X"]
    assert 'operation="delete"' in etree.tostring(scope.delete_payload(["X"]), encoding="unicode")


@pytest.mark.parametrize(
    ("kind", "definition", "first"),
    [
        ("range", {"min": 5, "max": 9}, ["5", "6"]),
        ("prefix", {"prefix": "10.1.0.0/30", "length": 32}, ["10.1.0.1", "10.1.0.2"]),
        ("prefix", {"prefix": "10.1.0.0/29", "length": 31}, ["10.1.0.0/31", "10.1.0.2/31"]),
        ("asn-number", {"asn": 65001, "min": 10, "max": 20}, ["65001:10", "65001:11"]),
    ],
)
def test_pool_candidates(kind: str, definition: dict[str, Any], first: list[str]) -> None:
    assert list(islice(check_definition("p", kind, definition).candidates(), 2)) == first


@pytest.mark.parametrize(
    ("kind", "definition", "fragment"),
    [
        ("colour", {}, "kind must be one of"),
        ("range", {"min": 1}, "needs max"),
        ("prefix", {"prefix": "10.0.0.300/8", "length": 32}, "invalid definition"),
    ],
)
def test_bad_pool_definitions(kind: str, definition: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidRequest, match=fragment):
        check_definition("p", kind, definition)
