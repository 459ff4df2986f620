"""A `window: 0` KPI baseline read with one gNMI Get gives what the Subscribe (STREAM/SAMPLE up to its
initial sync) gave, against the simulators: every check kind and aggregate, wildcard paths, a path
without data, a subtree, an invalid path and a device refusing connections. A client interceptor
records which RPCs each form made, so a Get that silently fell back every time would fail here.

Values that move with time (counters, UPF KPIs) are compared with their digits masked: the two
reads are a few milliseconds apart."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

import grpc
import pytest

from drivers.base import DeviceTarget
from drivers.grpc_tls import GrpcTls
from sims.faults import Fault
from sims.fleet import FleetThread, SimDeviceSpec
from telemetry.baseline import AGGREGATES, KpiCheck, _loop, check_baselines_async

pytestmark = pytest.mark.integration
GUARD_S = 60.0  # only a guard against hanging
IF = "interfaces/interface"


@pytest.fixture(scope="module")
def fleet() -> Iterator[FleetThread]:
    with FleetThread([SimDeviceSpec("pe1"), SimDeviceSpec("upf1", model="upf")]) as fleet:
        yield fleet


def target(fleet: FleetThread, name: str) -> DeviceTarget:
    ep = fleet.endpoint(name)
    return DeviceTarget(name, ep.host, ep.netconf_port, ep.platform, "admin", "admin", gnmi_port=ep.gnmi_port)


class Recorder:
    """The gNMI methods called through the channels it is put on (grpc.aio files an interceptor
    under one kind only: one per kind, sharing the list)."""

    def __init__(self) -> None:
        self.methods: list[str] = []
        methods = self.methods

        class Unary(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
            async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
                methods.append(_method(details))
                return await continuation(details, request)

        class Streams(grpc.aio.StreamStreamClientInterceptor):  # type: ignore[misc]
            async def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
                methods.append(_method(details))
                return await continuation(details, requests)

        self.interceptors = [Unary(), Streams()]


def _method(details: Any) -> str:
    method = details.method
    return (method.decode() if isinstance(method, bytes) else method).rsplit("/", 1)[-1]


def recorded_channels(recorder: Recorder) -> Callable[..., contextlib.AbstractAsyncContextManager[Any]]:
    @contextlib.asynccontextmanager
    async def channel_for(where: str, tls: GrpcTls | None) -> AsyncIterator[grpc.aio.Channel]:
        assert tls is None
        async with grpc.aio.insecure_channel(where, interceptors=recorder.interceptors) as channel:
            yield channel

    return channel_for


def both_forms(
    targets: Sequence[DeviceTarget], checks: Sequence[KpiCheck]
) -> tuple[list[str], list[str], list[str], list[str]]:
    """(problems, methods) of the Get form, then of the Subscribe form, for a window of 0."""
    results = []
    for snapshot in (True, False):
        recorder = Recorder()
        baselines = check_baselines_async(targets, checks, 0, recorded_channels(recorder), snapshot=snapshot)
        problems = asyncio.run_coroutine_threadsafe(baselines, _loop()).result(GUARD_S)
        results += [problems, recorder.methods]
    return results[0], results[1], results[2], results[3]


def masked(problems: Sequence[str]) -> list[str]:
    return [re.sub(r"\d+(\.\d+)?", "#", p) for p in problems]


def test_every_check_kind_and_aggregate_on_wildcards_reads_the_same(fleet: FleetThread) -> None:
    checks = [
        KpiCheck("up", f"{IF}[name=Ethernet1]/state/oper-status", "pe1", equals="UP"),
        KpiCheck("all-down", f"{IF}[name=*]/state/oper-status", "pe1", equals="DOWN"),
        *(
            KpiCheck(f"errors-{agg}-{op}", f"{IF}[name=*]/state/counters/in-errors", "pe1", op, 0, agg)
            for agg in AGGREGATES
            for op in ("<=", ">")
        ),
        KpiCheck("traffic", f"{IF}[name=Ethernet2]/state/counters/in-octets", "pe1", increasing=True),
        KpiCheck("sessions", "ManagedElement/*/kpis/sessionUtilisation", "upf1", op="<", threshold=0),
        KpiCheck("capacity", "ManagedElement/*/kpis/maxSessions", "upf1", op=">=", threshold=10000),
        KpiCheck("latency", "ManagedElement/*/kpis/slice/latency", "upf1", op=">", threshold=1e6),
    ]
    targets = [target(fleet, "pe1"), target(fleet, "upf1")]
    got, get_calls, subscribed, subscribe_calls = both_forms(targets, checks)
    assert get_calls == ["Get", "Get"] and subscribe_calls == ["Subscribe", "Subscribe"]
    assert masked(got) == masked(subscribed)
    # what the checks were built to find, so that "the same" is not "the same nothing"
    assert sum(p.startswith("pe1: all-down /interfaces/interface[name=Ethernet") for p in got) == 4, got
    assert sum(p.startswith("pe1: errors-") and " not > 0" in p for p in got) == 4 * len(AGGREGATES), got
    assert not any(p.startswith("pe1: errors-") and " not <= 0" in p for p in got), got
    assert any(p.startswith("pe1: traffic") and "did not increase" in p for p in got), got
    assert any(p.startswith("upf1: sessions") for p in got), got
    assert any(p.startswith("upf1: latency /ManagedElement") for p in got), got
    assert not any(p.startswith(("pe1: up", "upf1: capacity")) for p in got), got


def test_a_path_without_data_and_a_subtree_are_left_to_the_subscribe(fleet: FleetThread) -> None:
    """The simulator's Get answers NOT_FOUND for a concrete path without data and one JSON object
    for a subtree; the Subscribe answers nothing and one update per leaf. The Get form asks the
    Subscribe then, and reports what it did."""
    pe1 = [target(fleet, "pe1")]
    cases = {
        "missing": KpiCheck("missing", f"{IF}[name=Nope]/state/oper-status", "pe1", equals="UP"),
        "subtree": KpiCheck("counters", f"{IF}[name=Ethernet1]/state/counters", "pe1", op="<", threshold=0),
    }
    for case, check in cases.items():
        got, get_calls, subscribed, subscribe_calls = both_forms(pe1, [check])
        assert get_calls == ["Get", "Subscribe"] and subscribe_calls == ["Subscribe"], case
        assert masked(got) == masked(subscribed), case
    leaves = f"pe1: counters /{IF}[name=Ethernet1]/state/counters/"
    assert got and all(p.startswith(leaves) for p in got), got
    missing, _, _, _ = both_forms(pe1, [cases["missing"]])
    assert missing == ["pe1: missing: no data for interfaces/interface[name=Nope]/state/oper-status"]


def test_a_wildcard_matching_nothing_is_no_data_in_both(fleet: FleetThread) -> None:
    check = KpiCheck("ifindex", f"{IF}[name=*]/state/ifindex", "pe1", op=">", threshold=0)
    got, get_calls, subscribed, _ = both_forms([target(fleet, "pe1")], [check])
    assert get_calls == ["Get"]
    assert got == subscribed == [f"pe1: ifindex: no data for {IF}[name=*]/state/ifindex"]


def test_error_statuses_read_the_same(fleet: FleetThread) -> None:
    """An invalid path fails the device's baseline with the Subscribe's status and message in both
    forms (the Get form asks the Subscribe); a device refusing connections fails both."""
    pe1 = [target(fleet, "pe1")]
    checks = [
        KpiCheck("up", f"{IF}[name=Ethernet1]/state/oper-status", "pe1", equals="UP"),
        KpiCheck("bad", "nonsense/leaf", "pe1", equals="UP"),
    ]
    got, get_calls, subscribed, _ = both_forms(pe1, checks)
    assert get_calls == ["Get", "Subscribe"]
    assert got == subscribed
    assert len(got) == 1 and got[0].startswith("pe1: KPI baseline subscription failed: INVALID_ARGUMENT"), got

    fault = fleet.call(lambda f: f.world.inject(Fault("refuse-connections", device="pe1")))
    try:
        got, get_calls, subscribed, _ = both_forms(pe1, checks[:1])
    finally:
        fleet.call(lambda f: f.world.clear(fault.id))
    assert get_calls == ["Get"]
    # The Subscribe's status races its request stream against the server's abort (sometimes
    # "INTERNAL: Internal error from Core"); the Get's is the simulator's own.
    assert got == ["pe1: KPI baseline subscription failed: UNAVAILABLE: pe1 refuses connections"]
    assert len(subscribed) == 1 and subscribed[0].startswith("pe1: KPI baseline subscription failed: ")
