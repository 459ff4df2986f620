"""The subscription set follows the inventory; diffs; requests; backoff."""

from __future__ import annotations

import random

from pygnmi.spec.v080 import gnmi_pb2

from telemetry.collector import Backoff
from telemetry.subscriptions import (
    DeviceInfo,
    PathSpec,
    ResourceInfo,
    build_request,
    diff,
    wanted_subscriptions,
)

DEVICES = [
    DeviceInfo("pe1", "rom-router", "127.0.0.1", 50001),
    DeviceInfo("upf1", "rom-5gc", "127.0.0.1", 50002),
    DeviceInfo("old", "rom-router", "127.0.0.1", None),  # no gNMI: skipped
]
SLICE = ResourceInfo("slice-1", "slice-core", "upf1", {"sst": 1, "sd": "FFFFFF"})
VPN = ResourceInfo(
    "vpn-1", "l3vpn-endpoint", "pe1", {"interface": "Ethernet2", "vlanId": 100, "vrfName": "A"}
)


def test_devices_get_their_role_profile_and_resources_add_their_kpis() -> None:
    wanted = wanted_subscriptions(DEVICES, [SLICE, VPN])
    assert sorted(wanted) == [
        ("pe1", "base"),
        ("pe1", "resource/vpn-1"),
        ("upf1", "base"),
        ("upf1", "resource/slice-1"),
    ]
    base = wanted[("pe1", "base")]
    assert {(p.path.split("/")[-1], p.mode) for p in base.paths} == {
        ("counters", "sample"),
        ("oper-status", "on_change"),
        ("session-state", "on_change"),
    }
    vpn = wanted[("pe1", "resource/vpn-1")]
    assert vpn.resource == "vpn-1" and vpn.address == "127.0.0.1:50001"
    assert (
        vpn.paths[0].path
        == "interfaces/interface[name=Ethernet2]/subinterfaces/subinterface[index=100]/state"
    )


def test_diff_applies_added_and_deleted_resources() -> None:
    before = wanted_subscriptions(DEVICES, [SLICE])
    after = wanted_subscriptions(DEVICES, [VPN])
    stop, start = diff(before, after)
    assert [s.key for s in stop] == [("upf1", "resource/slice-1")]
    assert [s.key for s in start] == [("pe1", "resource/vpn-1")]
    assert diff(after, after) == ([], [])
    moved = wanted_subscriptions([DeviceInfo("pe1", "rom-router", "127.0.0.1", 60000)], [VPN])
    stop, start = diff(after, moved)
    assert ("pe1", "base") in {s.key for s in stop} and ("pe1", "base") in {s.key for s in start}


def test_resources_missing_characteristics_or_devices_are_skipped() -> None:
    orphan = ResourceInfo("x", "slice-core", "nowhere", {})
    partial = ResourceInfo("y", "l3vpn-endpoint", "pe1", {"interface": "E1", "vrfName": "A"})  # no vlanId
    wanted = wanted_subscriptions(DEVICES, [orphan, partial])
    assert ("nowhere", "resource/x") not in wanted
    assert wanted[("pe1", "resource/y")].paths == (
        PathSpec("network-instances/network-instance[name=A]/state", "on_change"),
    )


def test_subscribe_request() -> None:
    sub = wanted_subscriptions(DEVICES, sample_interval_s=0.25)[("pe1", "base")]
    request = build_request(sub).subscribe
    assert request.mode == gnmi_pb2.SubscriptionList.Mode.STREAM
    assert request.encoding == gnmi_pb2.Encoding.JSON_IETF
    sample, on_change, _bgp = request.subscription
    assert sample.mode == gnmi_pb2.SubscriptionMode.SAMPLE and sample.sample_interval == 250_000_000
    assert on_change.mode == gnmi_pb2.SubscriptionMode.ON_CHANGE and on_change.sample_interval == 0
    assert [e.name for e in on_change.path.elem] == ["interfaces", "interface", "state", "oper-status"]
    poll = wanted_subscriptions(DEVICES, kind="poll")[("pe1", "base")]
    assert build_request(poll).subscribe.mode == gnmi_pb2.SubscriptionList.Mode.POLL


def test_backoff_grows_is_capped_and_jittered() -> None:
    backoff = Backoff(base=0.5, cap=8.0, floor=0.05)
    rng = random.Random(7)
    delays = [[backoff.delay(attempt, rng) for _ in range(200)] for attempt in range(8)]
    assert all(0.05 <= d <= 8.0 for row in delays for d in row)
    assert max(delays[0]) <= 0.5 and max(delays[7]) > 4.0
    assert len({round(d, 6) for d in delays[5]}) > 100  # jitter, not a fixed schedule
