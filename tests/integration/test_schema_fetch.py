"""`rom device schema fetch NAME` against the simulators: NETCONF <get-schema> (RFC 6022) serves
each module the device announces in its hello, and ROM stores it as var/yang/NAME/NAME@REV.yang;
what the fetched modules hold validates the device's running datastore with yanglint."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree
from ncclient.operations.rpc import RPCError
from typer.testing import CliRunner

from cli import app
from core.settings import get_settings
from inventory.context import Context
from lab.support import netconf_connect
from sims.fleet import FleetThread, SimDeviceSpec
from tests.integration.conftest import make_settings, register_fleet
from tests.yanglint import REFERENCE, yanglint

pytestmark = pytest.mark.integration
UPF_MODULES = {
    "_3gpp-common-managed-element",
    "_3gpp-5gc-nrm-upffunction",
    "rom-5g-slice-ext",
    "rom-sim-kpi",
    "rom-sim-reachability",
    "ietf-netconf-monitoring",
    "rom-sim-upf-deviations",
}


@pytest.fixture(scope="module")
def fleet() -> Iterator[FleetThread]:
    with FleetThread([SimDeviceSpec("upf1", "upf"), SimDeviceSpec("gnb1", "gnb")]) as running:
        yield running


def fetch(tmp_path: Path, fleet: FleetThread, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    ctx = Context.create(make_settings(tmp_path))
    register_fleet(ctx, fleet)
    ctx.engine.dispose()
    monkeypatch.setenv("ROM_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        out = CliRunner().invoke(app, ["device", "schema", *args])
    finally:
        get_settings.cache_clear()
    return out.exit_code, out.output


def test_fetch_stores_the_modules_the_upf_announces(
    tmp_path: Path, fleet: FleetThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = fetch(tmp_path, fleet, monkeypatch, "fetch", "upf1")
    stored = {p.stem for p in (tmp_path / "yang" / "upf1").glob("*.yang")}
    assert {s.split("@")[0] for s in stored} == UPF_MODULES, output
    assert "_3gpp-5gc-nrm-upffunction@2020-11-05" in stored
    assert code == 0 and "7 modules in" in output, output
    code, shown = fetch(tmp_path, fleet, monkeypatch, "show", "upf1")
    assert code == 0 and "rom-5g-slice-ext@2026-12-07" in shown


def test_the_fetched_modules_validate_the_upfs_running_datastore(
    tmp_path: Path, fleet: FleetThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetch(tmp_path, fleet, monkeypatch, "fetch", "upf1")
    ep = fleet.endpoint("upf1")
    with netconf_connect(ep.host, ep.netconf_port) as m:
        data = etree.fromstring(m.get_config(source="running").data_xml.encode())
    running = tmp_path / "running.xml"
    running.write_text("".join(etree.tostring(child, encoding="unicode") for child in data))
    fetched = sorted(str(p) for p in (tmp_path / "yang" / "upf1").glob("*.yang"))
    # imports the device does not implement (top, types, ...) come from the reference set
    done = subprocess.run(
        [yanglint(), "-p", str(REFERENCE / "3gpp"), "-t", "config", *fetched, str(running)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_get_schema_refuses_a_module_the_device_does_not_implement(fleet: FleetThread) -> None:
    ep = fleet.endpoint("gnb1")
    with netconf_connect(ep.host, ep.netconf_port) as m:
        text = m.get_schema("rom-nr-rrm-ext", version="2026-12-07", format="yang").data
        assert "augment" in text and "RRMPolicyRatio" in text
        with pytest.raises(RPCError, match="not implemented"):
            m.get_schema("_3gpp-5gc-nrm-upffunction")
        with pytest.raises(RPCError, match="no revision"):
            m.get_schema("rom-nr-rrm-ext", version="1999-01-01")


def test_the_router_serves_its_openconfig_modules(fleet_router: FleetThread) -> None:
    ep = fleet_router.endpoint("pe1")
    with netconf_connect(ep.host, ep.netconf_port) as m:
        announced = {
            c.split("module=")[1].split("&")[0]: c.split("revision=")[1]
            for c in m.server_capabilities
            if "module=openconfig" in c
        }
        assert "openconfig-qos" in announced
        for module, revision in announced.items():
            text = m.get_schema(module, version=revision).data
            assert f"module {module}" in text and revision in text, module


@pytest.fixture(scope="module")
def fleet_router() -> Iterator[FleetThread]:
    with FleetThread([SimDeviceSpec("pe1")]) as running:
        yield running
