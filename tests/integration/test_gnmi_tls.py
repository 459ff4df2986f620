"""gNMI over TLS and mutual TLS against the simulators: the driver (through ROM's settings), the
telemetry collector, the KPI baseline check and the reachability probe (gNOI System.Ping on the same
endpoint), all dialling through drivers.grpc_tls."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.app import create_app
from core.settings import Settings
from drivers.base import DeviceTarget
from drivers.errors import InvalidInput, TransportError
from drivers.grpc_tls import GrpcTls
from drivers.registry import driver_for
from inventory.context import Context
from inventory.records import list_devices
from lab.support import wait_order
from rom.reachability import Probe, ping, run_probes
from sims.fleet import FleetThread, SimDeviceSpec
from sims.gnmi import LabPki, load_or_create_pki
from telemetry.baseline import KpiCheck, check_baselines
from telemetry.collector import Backoff, Collector
from telemetry.events import Event
from telemetry.subscriptions import DeviceInfo, wanted_subscriptions
from tests.integration.conftest import ORDERS, l3vpn_item, make_settings, order, qos_item, register_fleet
from tests.unit.test_sim_network import l3vpn

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> LabPki:
    return load_or_create_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def stranger_ca(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A CA that signed nothing the simulators serve."""
    return str(load_or_create_pki(tmp_path_factory.mktemp("other")).ca.cert_path)


@pytest.fixture(scope="module")
def tls_fleet(pki: LabPki) -> Iterator[FleetThread]:
    with FleetThread([SimDeviceSpec("pe1")], gnmi_tls=pki.server_material(mutual=False)) as fleet:
        yield fleet


@pytest.fixture(scope="module")
def mtls_fleet(pki: LabPki) -> Iterator[FleetThread]:
    specs = [SimDeviceSpec("pe1"), SimDeviceSpec("upf1", model="upf")]
    with FleetThread(specs, gnmi_tls=pki.server_material(mutual=True)) as fleet:
        yield fleet


def _paths(pki: LabPki) -> tuple[str, str, str]:
    assert pki.ca.cert_path and pki.client.cert_path
    return str(pki.ca.cert_path), str(pki.client.cert_path), str(pki.client.cert_path.with_suffix(".key"))


def target(fleet: FleetThread, name: str = "pe1", **tls: str | None) -> DeviceTarget:
    ep = fleet.endpoint(name)
    base = DeviceTarget(
        name, ep.host, ep.netconf_port, ep.platform, "admin", "admin", 5, gnmi_port=ep.gnmi_port
    )
    return replace(base, **tls)  # type: ignore[arg-type]


def open_close(t: DeviceTarget) -> list[str]:
    driver = driver_for(t, protocol="gnmi")
    driver.open()
    try:
        return driver.capabilities()
    finally:
        driver.close()


def test_tls_with_the_lab_ca_works_and_a_stranger_ca_is_refused(
    tls_fleet: FleetThread, pki: LabPki, stranger_ca: str
) -> None:
    ca, _cert, _key = _paths(pki)
    assert "encoding:json_ietf" in open_close(target(tls_fleet, gnmi_tls_ca=ca))
    started = time.monotonic()
    with pytest.raises(
        TransportError, match=r"pe1: Capabilities: UNAVAILABLE: .*(certificate|handshake|SSL|ssl)"
    ):
        open_close(target(tls_fleet, gnmi_tls_ca=stranger_ca))
    assert time.monotonic() - started < 5  # refused at the handshake, not after a timeout


def test_the_name_in_the_certificate_is_checked(tls_fleet: FleetThread, pki: LabPki) -> None:
    ca, _cert, _key = _paths(pki)
    assert open_close(target(tls_fleet, gnmi_tls_ca=ca, gnmi_tls_server_name="rom-sims"))
    with pytest.raises(TransportError, match="pe1"):
        open_close(target(tls_fleet, gnmi_tls_ca=ca, gnmi_tls_server_name="elsewhere.example"))


def test_mtls_refuses_a_client_without_a_certificate(mtls_fleet: FleetThread, pki: LabPki) -> None:
    ca, _cert, _key = _paths(pki)
    with pytest.raises(TransportError, match=r"pe1: Capabilities: UNAVAILABLE: .*no client certificate"):
        open_close(target(mtls_fleet, gnmi_tls_ca=ca))
    with pytest.raises(TransportError, match="pe1"):
        open_close(target(mtls_fleet))  # plaintext


def test_mtls_accepts_the_client_certificate_from_rom_settings(
    mtls_fleet: FleetThread, pki: LabPki, tmp_path: Path
) -> None:
    ca, cert, key = _paths(pki)
    ctx = Context.create(Settings(var_dir=tmp_path, gnmi_tls_ca=ca, gnmi_tls_cert=cert, gnmi_tls_key=key))
    register_fleet(ctx, mtls_fleet)
    with ctx.sessions() as session:
        targets = [ctx.target(d) for d in list_devices(session, ["pe1"])]
    ctx.engine.dispose()
    assert (targets[0].gnmi_tls_ca, targets[0].gnmi_tls_cert, targets[0].gnmi_tls_key) == (ca, cert, key)
    assert "encoding:json_ietf" in open_close(targets[0])


def test_unreadable_tls_files_and_half_settings_are_clear_errors(
    tls_fleet: FleetThread, tmp_path: Path
) -> None:
    with pytest.raises(InvalidInput, match=r"cannot read the gNMI TLS CA file .*missing\.pem"):
        open_close(target(tls_fleet, gnmi_tls_ca=str(tmp_path / "missing.pem")))
    with pytest.raises(ValidationError, match="ROM_GNMI_TLS_CERT and ROM_GNMI_TLS_KEY go together"):
        Settings(gnmi_tls_ca="ca.crt", gnmi_tls_cert="client.crt")
    with pytest.raises(ValidationError, match="ROM_GNMI_TLS_CERT needs ROM_GNMI_TLS_CA"):
        Settings(gnmi_tls_cert="client.crt", gnmi_tls_key="client.key")


async def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def test_telemetry_collector_streams_over_mtls(mtls_fleet: FleetThread, pki: LabPki) -> None:
    ca, cert, key = _paths(pki)
    port = mtls_fleet.gnmi_port("upf1")
    wanted = wanted_subscriptions([DeviceInfo("upf1", "rom-5gc", "127.0.0.1", port)], sample_interval_s=0.1)

    async def scenario() -> tuple[list[Event], str]:
        refused = Collector(lambda events: None, backoff=Backoff(0.1, 0.5), tls=GrpcTls(ca))
        received: list[Event] = []
        collector = Collector(received.extend, backoff=Backoff(0.1, 0.5), tls=GrpcTls(ca, cert, key))
        try:
            await refused.apply(wanted)
            await collector.apply(wanted)
            status = collector.status()[("upf1", "base")]
            await _wait_for(lambda: status.synced and len(received) > 5, "events over mTLS")
            without = refused.status()[("upf1", "base")]
            await _wait_for(lambda: bool(without.last_error), "the certificate-less stream to fail")
            assert not without.synced and without.updates == 0
            return received, without.last_error
        finally:
            await collector.close()
            await refused.close()

    received, error = asyncio.run(scenario())
    assert {e.device for e in received} == {"upf1"}
    assert "UNAVAILABLE" in error


def test_kpi_baselines_are_read_over_mtls(mtls_fleet: FleetThread, pki: LabPki) -> None:
    ca, cert, key = _paths(pki)
    check = KpiCheck(
        "slice-latency", "ManagedElement/*/kpis/slice/latency", "upf1", op="<=", threshold=1000.0
    )
    good = target(mtls_fleet, "upf1", gnmi_tls_ca=ca, gnmi_tls_cert=cert, gnmi_tls_key=key)
    assert check_baselines([good], [check], window_s=0.5) == []
    problems = check_baselines([target(mtls_fleet, "upf1", gnmi_tls_ca=ca)], [check], window_s=0.5)
    assert len(problems) == 1 and problems[0].startswith("upf1: KPI baseline subscription failed"), problems
    assert "no client certificate" in problems[0]


def test_an_order_runs_over_mtls_and_strict_host_keys_end_to_end(pki: LabPki, tmp_path: Path) -> None:
    """NETCONF to pe1 (host key checked), gNMI to pe2 and KPI baselines over mutual TLS, through the
    API; the same order with ROM lacking the client certificate fails with the TLS reason."""
    ca, cert, key = _paths(pki)
    specs = [SimDeviceSpec("pe1"), SimDeviceSpec("pe2")]
    with FleetThread(specs, gnmi_tls=pki.server_material(mutual=True)) as fleet:
        for name, tls in (("good", {"gnmi_tls_cert": cert, "gnmi_tls_key": key}), ("no-cert", {})):
            settings = make_settings(tmp_path / name, gnmi_tls_ca=ca, **tls)
            ctx = Context.create(settings)
            register_fleet(ctx, fleet)
            with TestClient(create_app(settings)) as client:
                vlan = 101 if name == "good" else 102
                body = order(l3vpn_item("1", "pe1", f"V{vlan}", vlan), qos_item("2", "pe2", f"Q{vlan}"))
                created = client.post(ORDERS, json=body)
                assert created.status_code == 201, created.text
                final = wait_order(client, created.json()["id"], 60)
            ctx.engine.dispose()
            if name == "good":
                assert final["state"] == "completed", final.get("note")
            else:
                assert final["state"] == "failed"
                assert "no client certificate" in json.dumps(final.get("note")), final.get("note")


def _probe_target(fleet: FleetThread, **tls: str | None) -> DeviceTarget:
    """pe1 with an address of its own in VRF GNOI-TLS (the probe's destination), on gNOI."""
    fleet.call(lambda f: f.world.change_config("pe1", l3vpn("10.77.0.1", vrf="GNOI-TLS")))
    return target(fleet, **tls)


PROBE = Probe("tls", "pe1", "10.77.0.1", "GNOI-TLS", count=3, max_rtt_ms=50)


def test_reachability_probe_over_tls_and_a_stranger_ca_refused(
    tls_fleet: FleetThread, pki: LabPki, stranger_ca: str
) -> None:
    ca, _cert, _key = _paths(pki)
    [(_, result, problem)] = run_probes({"pe1": _probe_target(tls_fleet, gnmi_tls_ca=ca)}, [PROBE])
    assert problem is None and result is not None
    assert (result.via, result.sent, result.received) == ("gnoi", 3, 3)
    assert "local address of pe1 in GNOI-TLS" in result.reason  # the simulator's model answered
    [(_, result, problem)] = run_probes({"pe1": target(tls_fleet, gnmi_tls_ca=stranger_ca)}, [PROBE])
    assert result is None and problem is not None
    assert re.search(
        r"probe failed: pe1: gNOI System.Ping: UNAVAILABLE: .*(certificate|handshake|SSL)", problem
    )


def test_reachability_probe_over_mtls_needs_the_client_certificate(
    mtls_fleet: FleetThread, pki: LabPki
) -> None:
    ca, cert, key = _paths(pki)
    good = _probe_target(mtls_fleet, gnmi_tls_ca=ca, gnmi_tls_cert=cert, gnmi_tls_key=key)
    assert ping(good, PROBE).received == 3
    with pytest.raises(TransportError, match=r"pe1: gNOI System.Ping: UNAVAILABLE"):
        ping(target(mtls_fleet, gnmi_tls_ca=ca), PROBE)  # no client certificate
