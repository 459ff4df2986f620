"""The backends every conformance test runs against: the simulator and netconfd (two modes).

netconfd servers start once per test session (scripts/netconfd/start.sh) and are reset before
each test; the simulator fleet is fresh per test. Drivers take their sessions from a pool, as
under Nornir. Missing netconfd packages skip its backends with the reason
(scripts/netconfd/install.sh installs them; `make test` runs it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from ncclient.manager import Manager

from drivers.pool import SessionPool
from lab.backends import Backend, netconfd_backend, observer, reset_netconfd, sim_backend
from lab.netconfd import Netconfd, NetconfdEndpoint, NetconfdUnavailable
from sims.fleet import FleetThread, SimDeviceSpec

BACKENDS = ["sim", "sim-gnmi", "netconfd-candidate", "netconfd-running", "napalm-iosxr_netconf-sim"]


@dataclass
class NetconfdHandle:
    endpoint: NetconfdEndpoint | None
    watcher: Manager | None
    pool: SessionPool
    unavailable: str = ""


def _netconfd(mode: str) -> Iterator[NetconfdHandle]:
    server = Netconfd(mode)
    pool = SessionPool()
    try:
        ep = server.start()
    except NetconfdUnavailable as e:
        yield NetconfdHandle(None, None, pool, str(e))
        return
    watcher = observer(ep.target())
    try:
        yield NetconfdHandle(ep, watcher, pool)
    finally:
        watcher.close_session()
        pool.close_all()
        server.stop()


@pytest.fixture(scope="session")
def netconfd_candidate() -> Iterator[NetconfdHandle]:
    yield from _netconfd("candidate")


@pytest.fixture(scope="session")
def netconfd_running() -> Iterator[NetconfdHandle]:
    yield from _netconfd("running")


@pytest.fixture
def fleet() -> Iterator[FleetThread]:
    with FleetThread([SimDeviceSpec("pe1")]) as f:
        yield f


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """`(driver factory, device kind, payload factory)` for one backend, reset to empty."""
    if "sim" in request.param:
        pool = SessionPool()
        platform = "napalm:iosxr_netconf" if request.param.startswith("napalm") else None
        gnmi = request.param == "sim-gnmi"
        yield sim_backend(request.getfixturevalue("fleet"), platform=platform, pool=pool, gnmi=gnmi)
        pool.close_all()
        return
    handle: NetconfdHandle = request.getfixturevalue(f"netconfd_{request.param.split('-', 1)[1]}")
    if handle.endpoint is None or handle.watcher is None:
        pytest.skip(f"netconfd unavailable: {handle.unavailable}")
    reset_netconfd(handle.watcher, handle.endpoint.mode)
    yield netconfd_backend(handle.endpoint, handle.watcher, handle.pool)
