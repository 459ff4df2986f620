"""Reachability post-checks (pure parts): probes from the catalog, verdicts, gNOI stream folding,
the NETCONF reply parser, and the committed gNOI stubs matching scripts/gen_gnoi.sh."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from core.tmf652 import ResourceOrderCreate
from drivers.base import DeviceTarget
from drivers.gnoi import PingResult, ping_result, trace_hops
from gnoi_pb import system_pb2
from intent.catalog import Catalog
from intent.planner import plan_order
from rom.reachability import PlatformProbe, Probe, load_platforms, probes_for, run_probes, summary, verdict

REPO = Path(__file__).resolve().parents[2]
PLATFORMS = {"pe1": "rom-router", "pe2": "rom-router", "pe3": "rom-router"}


def _item(item_id: str, device: str, vrf: str, address: str) -> dict[str, object]:
    values = {
        "device": device,
        "vrfName": vrf,
        "routeDistinguisher": "65000:1",
        "interface": "Ethernet1",
        "vlanId": 100,
        "ipv4Address": address,
        "prefixLength": 30,
    }
    return {
        "id": item_id,
        "action": "add",
        "resourceSpecification": {"id": "l3vpn-endpoint"},
        "resource": {"resourceCharacteristic": [{"name": k, "value": v} for k, v in values.items()]},
    }


def _probes(*items: dict[str, object]) -> list[Probe]:
    order = ResourceOrderCreate.model_validate({"orderItem": list(items)})
    return probes_for(plan_order(order, Catalog.load(), PLATFORMS))


def test_l3vpn_endpoints_probe_every_other_endpoint_of_their_vrf() -> None:
    probes = _probes(
        _item("1", "pe1", "A", "10.0.0.1"),
        _item("2", "pe2", "A", "10.0.0.5"),
        _item("3", "pe3", "B", "10.9.0.1"),
    )
    assert [(p.device, p.destination, p.network_instance, p.peer) for p in probes] == [
        ("pe1", "10.0.0.5", "A", "pe2"),
        ("pe2", "10.0.0.1", "A", "pe1"),
    ]
    assert {(p.check, p.count, p.max_loss_percent, p.max_rtt_ms) for p in probes} == {
        ("vrf-any-to-any", 3, 0, 50)
    }


def test_a_single_endpoint_has_nothing_to_probe() -> None:
    assert _probes(_item("1", "pe1", "A", "10.0.0.1")) == []


def _slice_core(**extra: object) -> dict[str, object]:
    values = {"upfDevice": "upf1", "smfDevice": "smf1", "sst": 1, "dnn": "internet", **extra}
    return {
        "id": "core",
        "action": "add",
        "resourceSpecification": {"id": "slice-core"},
        "resource": {"resourceCharacteristic": [{"name": k, "value": v} for k, v in values.items()]},
    }


def test_a_slice_core_probes_the_upf_n3_address_from_the_gnb_side_pe() -> None:
    order = ResourceOrderCreate.model_validate(
        {"orderItem": [_slice_core(gnbPeDevice="pe1", upfN3Address="10.3.0.10")]}
    )
    [probe] = probes_for(plan_order(order, Catalog.load(), {"upf1": "rom-5gc", "smf1": "rom-5gc"}))
    assert probe == Probe("gnb-pe-to-upf-n3", "pe1", "10.3.0.10", "default", 3, 0, 50, peer="upf1")
    assert probe.pair == "pe1 -> 10.3.0.10 (upf1) in default"


@pytest.mark.parametrize("extra", [{}, {"gnbPeDevice": "pe1"}, {"upfN3Address": "10.3.0.10"}])
def test_a_slice_core_without_both_n3_ends_has_nothing_to_probe(extra: dict[str, object]) -> None:
    order = ResourceOrderCreate.model_validate({"orderItem": [_slice_core(**extra)]})
    assert probes_for(plan_order(order, Catalog.load(), {"upf1": "rom-5gc", "smf1": "rom-5gc"})) == []


PROBE = Probe("vrf-any-to-any", "pe1", "10.0.0.5", "A", count=3, max_rtt_ms=5, peer="pe2")


def test_verdicts_name_the_pair_the_loss_and_the_path() -> None:
    ok = PingResult("pe1", "10.0.0.5", "A", 3, 3, 0.2, 0.2, 0.2)
    assert verdict(PROBE, ok) is None
    assert summary(PROBE, ok) == (
        "reachability vrf-any-to-any pe1 -> 10.0.0.5 (pe2) in A: 3/3 answered, 0% loss, "
        "max RTT 0.200 ms (via gnoi)"
    )
    lost = PingResult("pe1", "10.0.0.5", "A", 3, 1, path=("pe1", "p1", "*"), reason="link down")
    assert verdict(PROBE, lost) == (
        "reachability vrf-any-to-any pe1 -> 10.0.0.5 (pe2) in A: "
        "66.7% loss (1/3 answered, at most 0% allowed); path pe1 > p1 > *; device says: link down"
    )
    slow = PingResult("pe1", "10.0.0.5", "A", 3, 3, 1, 4, 9)
    assert "max RTT 9.000 ms > 5 ms" in (verdict(PROBE, slow) or "")


def test_run_probes_reports_unknown_devices_and_runs_the_rest() -> None:
    seen: list[str] = []

    def pinger(target: DeviceTarget, probe: Probe, platform: PlatformProbe | None) -> PingResult:
        seen.append(probe.device)
        return PingResult(probe.device, probe.destination, probe.network_instance, 3, 3)

    other = Probe("c", "ghost", "10.0.0.1", "A")
    target = DeviceTarget("pe1", "127.0.0.1", 830, "rom-router", "admin", "admin")
    outcomes = run_probes({"pe1": target}, [PROBE, other], {}, pinger)
    assert seen == ["pe1"]
    assert outcomes[0][2] is None and "ghost is not in the inventory" in (outcomes[1][2] or "")


def test_ping_stream_folds_into_a_result() -> None:
    request = system_pb2.PingRequest(destination="10.0.0.5", network_instance="A", count=3)
    replies = [system_pb2.PingResponse(source="10.0.0.5", time=200_000, bytes=64, sequence=n) for n in (1, 2)]
    summary_msg = system_pb2.PingResponse(
        sent=3, received=2, min_time=100_000, avg_time=200_000, max_time=300_000
    )
    folded = ping_result("pe1", request, [*replies, summary_msg])
    assert (folded.sent, folded.received, folded.max_ms, folded.loss_percent) == (3, 2, 0.3, 33.3)
    without_summary = ping_result("pe1", request, replies)  # a device that sends no summary
    assert (without_summary.sent, without_summary.received, without_summary.avg_ms) == (3, 2, 0.2)
    hops = trace_hops([system_pb2.TracerouteResponse(destination_address="x", hops=30),
                       system_pb2.TracerouteResponse(hop=1, address="p1", rtt=100_000)])  # fmt: skip
    assert [(h.hop, h.address, h.rtt_ms, h.state) for h in hops] == [(1, "p1", 0.1, "DEFAULT")]


def test_netconf_reply_parser_of_the_router_platform() -> None:
    parser = load_platforms()["rom-router"].reply
    assert parser is not None
    reply = etree.fromstring(
        b"<rpc-reply xmlns='urn:ietf:params:xml:ns:netconf:base:1.0'>"
        b"<success xmlns='urn:rom:sim:reachability'>false</success>"
        b"<reason xmlns='urn:rom:sim:reachability'>no path</reason>"
        b"<path xmlns='urn:rom:sim:reachability'/></rpc-reply>"
    )
    result = parser.parse("pe1", reply, "10.0.0.5", "A", 3)
    assert (result.sent, result.received, result.reason, result.via) == (3, 0, "no path", "netconf")


def test_committed_gnoi_stubs_match_the_generator(tmp_path: Path) -> None:
    pytest.importorskip("grpc_tools")
    env_python = f"PYTHON={sys.executable}"
    subprocess.run(
        ["env", env_python, "bash", str(REPO / "scripts" / "gen_gnoi.sh"), str(tmp_path)],
        check=True,
        timeout=60,
    )
    generated = sorted(p.name for p in (tmp_path / "gnoi_pb").iterdir())
    assert len(generated) == 6 and {p.rsplit(".", 1)[0] for p in generated} == {
        "system_pb2",
        "system_pb2_grpc",
        "types_pb2",
        "types_pb2_grpc",
    }
    _, mismatch, errors = filecmp.cmpfiles(tmp_path / "gnoi_pb", REPO / "gnoi_pb", generated, shallow=False)
    assert mismatch == [] and errors == []
