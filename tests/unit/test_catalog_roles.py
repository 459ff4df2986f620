"""Spec schema: roles, a protocol per platform binding, open postChecks and reservations."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from core.errors import InvalidRequest
from intent.catalog import Catalog, ResourceSpec


def _spec(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "x",
        "name": "x",
        "version": "1",
        "resourceName": "x",
        "characteristics": {"a": {"type": "string"}, "b": {"type": "string"}, "n": {"type": "integer"}},
        "roles": {
            "one": {
                "deviceCharacteristic": "a",
                "platforms": {"p": {"driver": "gnmi", "template": "t.json.j2"}},
            },
            "two": {
                "deviceCharacteristic": "b",
                "platforms": {"p": {"template": "t.xml.j2", "filter": "f.xml.j2"}},
            },
        },
    }
    return {**base, **over}


def test_roles_name_their_device_and_protocol() -> None:
    spec = ResourceSpec.model_validate(
        _spec(postChecks={"kpis": [{"name": "k"}]}, reservations=[{"pool": "vlan", "characteristic": "n"}])
    )
    assert spec.binding("p").driver == "gnmi" and spec.binding("p", "two").driver == "netconf"
    assert spec.device_characteristic == "a"
    assert spec.post_checks == {"kpis": [{"name": "k"}]} and spec.reservations == [
        {"pool": "vlan", "characteristic": "n"}
    ]
    with pytest.raises(InvalidRequest, match="role 'two' on platform 'q'"):
        spec.binding("q", "two")


def test_reservations_are_validated_when_the_spec_loads() -> None:
    rules = [{"pool": "vlan", "characteristic": "n", "scope": ["a"], "shareBy": "b"}]
    (rule,) = ResourceSpec.model_validate(_spec(reservations=rules)).reservation_rules
    assert (rule.pool, rule.characteristic, rule.scope, rule.share_by) == ("vlan", "n", ["a"], "b")
    with pytest.raises(ValidationError, match=r"unknown characteristic\(s\) \['nope'\]"):
        ResourceSpec.model_validate(
            _spec(reservations=[{"pool": "vlan", "characteristic": "n", "scope": ["nope"]}])
        )
    with pytest.raises(ValidationError, match="characteristic"):  # a rule needs its characteristic
        ResourceSpec.model_validate(_spec(reservations=[{"pool": "vlan"}]))
    with pytest.raises(ValidationError, match="extra"):
        ResourceSpec.model_validate(_spec(reservations=[{"pool": "vlan", "characteristic": "n", "x": 1}]))


def test_single_role_shorthand_still_loads() -> None:
    data = _spec(
        roles=["pe"],
        deviceCharacteristic="b",
        platforms={"p": {"template": "t.xml.j2", "filter": "f.xml.j2"}},
    )
    spec = ResourceSpec.model_validate(data)
    assert list(spec.roles) == ["pe"] and spec.roles["pe"].device_characteristic == "b"
    assert spec.platforms == spec.roles["pe"].platforms


@pytest.mark.parametrize(
    ("role", "problem"),
    [
        ({"deviceCharacteristic": "n", "platforms": {}}, "required string"),
        (
            {"deviceCharacteristic": "a", "platforms": {"p": {"driver": "gnmi", "template": "t.xml.j2"}}},
            ".json.j2",
        ),
        ({"deviceCharacteristic": "a", "platforms": {"p": {"template": "t.xml.j2"}}}, "needs a filter"),
        ({"deviceCharacteristic": "a", "platforms": {"p": {"driver": "snmp", "template": "t"}}}, "driver"),
    ],
)
def test_bad_roles_are_refused(role: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        ResourceSpec.model_validate(_spec(roles={"r": role}))


def test_the_catalog_has_the_issue_4_specs_with_their_protocols() -> None:
    catalog = Catalog.load()
    drivers = {
        (s.id, role, platform): b.driver
        for s in catalog
        for role, r in s.roles.items()
        for platform, b in r.platforms.items()
    }
    assert drivers == {
        ("l3vpn-endpoint", "pe", "rom-router"): "netconf",
        ("l3vpn-endpoint", "pe", "srlinux"): "gnmi",
        ("transport-qos", "pe", "rom-router"): "gnmi",
        ("slice-core", "upf", "rom-5gc"): "netconf",
        ("slice-core", "smf", "rom-5gc"): "netconf",
        ("slice-ran", "gnb", "rom-ran"): "gnmi",
    }
    assert all(s.post_checks.get("kpis") for s in catalog)
