from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from cli import app
from core.errors import InvalidRequest, NotFound
from core.settings import Settings, get_settings
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


BREAKERS = Path(__file__).resolve().parents[1] / "catalogs" / "yang-breakers"


def test_rom_catalog_dir_is_the_catalog_rom_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROM_CATALOG_DIR", str(BREAKERS))
    get_settings.cache_clear()
    try:
        out = CliRunner().invoke(app, ["catalog", "list", "--json"])
    finally:
        get_settings.cache_clear()
    assert out.exit_code == 0, out.output
    assert {s["id"] for s in json.loads(out.output)} == {p.name for p in BREAKERS.iterdir()}


def test_a_rom_catalog_dir_that_is_not_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"ROM_CATALOG_DIR .*missing is not a directory"):
        Settings(catalog_dir=tmp_path / "missing")
