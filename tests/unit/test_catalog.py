from __future__ import annotations

import pytest

from core.errors import InvalidRequest, NotFound
from intent.catalog import Catalog, validate_characteristics


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


def test_catalog_loads_l3vpn_endpoint(catalog: Catalog) -> None:
    spec = catalog.get("l3vpn-endpoint")
    assert spec.device_characteristic == "device"
    assert "rom-router" in spec.platforms


def test_unknown_spec_is_not_found(catalog: Catalog) -> None:
    with pytest.raises(NotFound, match="nope"):
        catalog.get("nope")


def test_valid_values_get_defaults(catalog: Catalog, l3vpn_values: dict[str, object]) -> None:
    del l3vpn_values["description"]
    checked = validate_characteristics(catalog.get("l3vpn-endpoint"), l3vpn_values)
    assert checked["description"] == ""
    assert checked["vlanId"] == 100


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("vlanId", "100", "must be an integer"),
        ("vlanId", True, "must be an integer"),
        ("vlanId", 4095, "must be <= 4094"),
        ("vlanId", 0, "must be >= 1"),
        ("ipv4Address", "10.0.0.300", "IPv4 address"),
        ("routeDistinguisher", "65000-1", "does not match"),
        ("vrfName", 7, "must be a string"),
        ("vrfName", "bad name", "does not match"),
    ],
)
def test_wrong_values_are_refused(
    catalog: Catalog, l3vpn_values: dict[str, object], name: str, value: object, message: str
) -> None:
    l3vpn_values[name] = value
    with pytest.raises(InvalidRequest, match=message):
        validate_characteristics(catalog.get("l3vpn-endpoint"), l3vpn_values)


def test_missing_and_unknown_characteristics(catalog: Catalog, l3vpn_values: dict[str, object]) -> None:
    spec = catalog.get("l3vpn-endpoint")
    missing = {k: v for k, v in l3vpn_values.items() if k != "routeDistinguisher"}
    with pytest.raises(InvalidRequest, match="missing characteristic 'routeDistinguisher'"):
        validate_characteristics(spec, missing)
    with pytest.raises(InvalidRequest, match="unknown characteristic"):
        validate_characteristics(spec, {**l3vpn_values, "colour": "blue"})
