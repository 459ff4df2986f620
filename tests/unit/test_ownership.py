"""One owner per device path (pure): leaf claims of NETCONF and gNMI intents, conflicts, identity."""

from __future__ import annotations

import json
from typing import Any

from core.tmf652 import ResourceOrderCreate
from intent.catalog import Catalog
from intent.ownership import Owner, claims, claims_of, identity, identity_names, path_conflicts, where
from intent.planner import Intended, PlannedItem, intended_for, plan_order

CATALOG = Catalog.load()
PLATFORMS = {"pe1": "rom-router", "upf1": "rom-5gc", "smf1": "rom-5gc", "gnb1": "rom-ran"}


def item(spec: str, **values: Any) -> PlannedItem:
    chars = [{"name": k, "value": v} for k, v in values.items()]
    body = {
        "orderItem": [
            {
                "id": "1",
                "action": "add",
                "resourceSpecification": {"id": spec},
                "resource": {"resourceCharacteristic": chars},
            }
        ]
    }
    return plan_order(ResourceOrderCreate.model_validate(body), CATALOG, PLATFORMS)[0]


def endpoint(vlan: int, rd: str = "65000:1", vrf: str = "SHARED") -> list[Intended]:
    values = dict(
        device="pe1",
        vrfName=vrf,
        routeDistinguisher=rd,
        interface="Ethernet2",
        vlanId=vlan,
        ipv4Address="10.0.0.1",
        prefixLength=31,
    )
    return intended_for(CATALOG, item("l3vpn-endpoint", **values))


def policy(max_ratio: int, policy_id: str = "urllc-1") -> list[Intended]:
    values = dict(
        device="gnb1",
        cellId="1",
        policyId=policy_id,
        sst=2,
        sd="00A0B1",
        maxRatio=max_ratio,
        minRatio=20,
        dedicatedRatio=20,
    )
    return intended_for(CATALOG, item("slice-ran", **values))


OWNER = Owner("r-1", "SHARED@pe1:Ethernet2.301")


def test_netconf_claims_key_entries_by_the_filter_and_first_leaf() -> None:
    [want] = endpoint(301)
    leaves = claims(want)
    assert leaves[
        "/network-instances/network-instance[name=SHARED]/config[name=SHARED]/route-distinguisher"
    ] == ("65000:1")
    assert "/interfaces/interface[name=Ethernet2]/subinterfaces/subinterface[index=301]/index" in leaves
    assert where(want) == "/interfaces/interface[name=Ethernet2]/subinterfaces/subinterface[index=301]"


def test_a_shared_vrf_with_the_same_values_is_no_conflict() -> None:
    assert path_conflicts(endpoint(302), [(OWNER, claims_of(w)) for w in endpoint(301)]) == []


def test_another_route_distinguisher_for_a_shared_vrf_names_owner_and_path() -> None:
    [found] = path_conflicts(endpoint(302, rd="65000:9"), [(OWNER, claims_of(w)) for w in endpoint(301)])
    assert found.owner == OWNER and found.device == "pe1"
    assert found.path.endswith("network-instance[name=SHARED]/config[name=SHARED]/route-distinguisher")
    assert (found.held, found.wanted) == ("65000:1", "65000:9")
    assert "resource r-1 (SHARED@pe1:Ethernet2.301)" in found.message()


def test_gnmi_leaves_conflict_leaf_by_leaf() -> None:
    owner = Owner("r-2", "rrm-urllc-1@gnb1:cell1")
    [found] = path_conflicts(policy(60), [(owner, claims_of(w)) for w in policy(100)])
    assert found.path.endswith("RRMPolicyRatio[id=urllc-1]/attributes/rRMPolicyMaxRatio")
    assert (found.held, found.wanted) == ("100", "60")
    assert path_conflicts(policy(60), [(owner, claims_of(w)) for w in policy(60)]) == []
    assert path_conflicts(policy(60, "other"), [(owner, claims_of(w)) for w in policy(100)]) == []
    [want] = policy(60)
    assert where(want).endswith("/rom-nr-rrm-ext:RRMPolicyRatio[id=urllc-1]")
    assert json.loads(claims(want)[where(want) + "/attributes/rRMPolicyMemberList"])[0]["sd"] == "00A0B1"


def test_protocols_and_devices_do_not_mix() -> None:
    pe2 = [w.__class__(**{**w.__dict__, "device": "pe2"}) for w in endpoint(301, rd="65000:9")]
    assert path_conflicts(endpoint(302), [(OWNER, claims_of(w)) for w in pe2]) == []


def test_identity_is_the_resource_name_s_characteristics() -> None:
    spec = CATALOG.get("slice-ran")
    assert identity_names(spec) == ["device", "cellId", "policyId"]
    a = item(
        "slice-ran",
        device="gnb1",
        cellId="1",
        policyId="p",
        sst=2,
        maxRatio=60,
        minRatio=20,
        dedicatedRatio=20,
    )
    b = item(
        "slice-ran",
        device="gnb1",
        cellId="1",
        policyId="p",
        sst=3,
        maxRatio=90,
        minRatio=10,
        dedicatedRatio=10,
    )
    assert identity(spec, a.values) == identity(spec, b.values)
    assert identity_names(CATALOG.get("slice-core")) == ["upfDevice", "smfDevice", "sst", "sd", "dnn"]


def test_disagreements_list_every_value_and_who_wants_it() -> None:
    from intent.ownership import disagreements

    a, b, c = Owner("a", "A"), Owner("b", "B"), Owner("c", "C")
    owned = [(a, claims_of(w)) for w in policy(60)] + [(b, claims_of(w)) for w in policy(100)]
    owned += [(c, claims_of(w)) for w in policy(60)]
    [found] = disagreements(owned)
    assert found.path.endswith("rRMPolicyMaxRatio") and found.values == (("100", (b,)), ("60", (a, c)))
    assert "resource a (A), resource c (C) want '60'" in found.message()
    assert (
        disagreements([(a, claims_of(w)) for w in endpoint(301)] + [(b, claims_of(w)) for w in endpoint(302)])
        == []
    )
