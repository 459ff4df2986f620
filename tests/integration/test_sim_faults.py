"""Faults injected through the fleet's control API (HTTP) as ncclient sees them over NETCONF:
failing commits and validates, latency (replies stay in order), refused connections, and a restart
that reverts a pending persisted confirmed commit."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import httpx
import pytest
import yaml
from ncclient import manager
from ncclient.operations.rpc import RPCError
from ncclient.transport.errors import TransportError

from lab.support import netconf_connect
from sims.fleet import FleetThread, SimDeviceSpec
from tests.integration.test_sim_netconf_malformed import HELLO_10, NC, Raw

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
IF = "http://openconfig.net/yang/interfaces"


@pytest.fixture(scope="module")
def fleet() -> Iterator[FleetThread]:
    topology = yaml.safe_load((REPO / "topologies" / "l3vpn.clab.yml").read_text())
    specs = [SimDeviceSpec("pe1"), SimDeviceSpec("p1"), SimDeviceSpec("pe2")]
    with FleetThread(specs, topology=topology) as running:
        yield running


@pytest.fixture
def control(fleet: FleetThread) -> Iterator[httpx.Client]:
    assert fleet.control_url is not None and fleet.control_url.startswith("http://127.0.0.1:")
    with httpx.Client(base_url=fleet.control_url, timeout=30) as client:
        yield client
        assert client.delete("/faults").status_code == 204


def connect(fleet: FleetThread, name: str = "pe1") -> manager.Manager:
    return netconf_connect("127.0.0.1", fleet.port(name))


def description(text: str) -> str:
    return (
        f'<config xmlns="{NC}"><interfaces xmlns="{IF}"><interface><name>Ethernet1</name>'
        f"<config><description>{text}</description></config></interface></interfaces></config>"
    )


def running_description(m: manager.Manager) -> str:
    data = m.get_config("running", filter=("subtree", f'<interfaces xmlns="{IF}"/>')).data_ele
    values = data.xpath(
        "//oc:interface[oc:name='Ethernet1']/oc:config/oc:description/text()", namespaces={"oc": IF}
    )
    return str(values[0]) if values else ""


def inject(control: httpx.Client, **fault: object) -> str:
    response = control.post("/faults", json=fault)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_control_api_lists_the_topology_links(control: httpx.Client) -> None:
    links = {each["id"] for each in control.get("/links").json()["links"]}
    assert links == {"pe1:eth1--p1:eth1", "p1:eth2--pe2:eth1"}


def test_fail_commit_gives_an_rpc_error_then_the_next_commit_works(
    fleet: FleetThread, control: httpx.Client
) -> None:
    inject(control, kind="fail-commit", device="pe1", message="disk full")
    with connect(fleet) as m:
        m.edit_config(config=description("first"), target="candidate")
        with pytest.raises(RPCError) as failed:
            m.commit()
        assert failed.value.tag == "operation-failed" and "disk full" in str(failed.value.message)
        assert running_description(m) != "first"
        assert control.get("/faults").json() == {"faults": []}  # used up
        m.commit()
        assert running_description(m) == "first"


def test_fail_validate_only_hits_its_device(fleet: FleetThread, control: httpx.Client) -> None:
    inject(control, kind="fail-validate", device="pe2", count=2)
    with connect(fleet, "pe1") as m:
        m.validate("candidate")
    with connect(fleet, "pe2") as m:
        for _ in range(2):
            with pytest.raises(RPCError) as failed:
                m.validate("candidate")
            assert failed.value.tag == "operation-failed"
        m.validate("candidate")


def test_latency_delays_the_reply(fleet: FleetThread, control: httpx.Client) -> None:
    with connect(fleet, "p1") as m:
        inject(control, kind="latency", device="p1", latency_ms=400)
        started = time.monotonic()
        m.get_config("running")
        assert time.monotonic() - started >= 0.4


def _rpc(message_id: str, operation: str) -> bytes:
    return f'<rpc message-id="{message_id}" xmlns="{NC}">{operation}</rpc>]]>]]>'.encode()


def test_delayed_replies_keep_their_order(fleet: FleetThread, control: httpx.Client) -> None:
    raw = Raw(fleet.port("p1"))
    try:
        raw.read_until(b"]]>]]>")
        raw.chan.sendall(HELLO_10)
        fault = inject(control, kind="latency", device="p1", latency_ms=1500)
        raw.chan.sendall(_rpc("slow", "<lock><target><candidate/></target></lock>"))
        deadline = time.monotonic() + 30
        while fleet.call(lambda f: f.device("p1").datastore.lock_owner("candidate")) is None:
            assert time.monotonic() < deadline, "the lock was not taken"
            time.sleep(0.01)
        assert control.delete(f"/faults/{fault}").status_code == 204  # the unlock has no latency
        raw.chan.sendall(_rpc("fast", "<unlock><target><candidate/></target></unlock>"))
        first, second = raw.read_until(b"]]>]]>"), raw.read_until(b"]]>]]>")
        assert b'message-id="slow"' in first and b'message-id="fast"' in second
        assert b"<ok/>" in first and b"<ok/>" in second
    finally:
        raw.close()


async def _asyncssh_refusal(port: int) -> asyncssh.DisconnectError:
    with pytest.raises(asyncssh.DisconnectError) as refused:
        await asyncssh.connect(
            "127.0.0.1", port, username="admin", password="admin", known_hosts=None, client_keys=None
        )
    return refused.value


def test_refuse_connections_then_allow(fleet: FleetThread, control: httpx.Client) -> None:
    fault = inject(control, kind="refuse-connections", device="pe2")
    with pytest.raises(TransportError) as refused:
        connect(fleet, "pe2")
    assert "EOF" in str(refused.value)  # disconnected, not "Authentication failed."
    error = asyncio.run(_asyncssh_refusal(fleet.port("pe2")))
    assert error.code == asyncssh.DISC_SERVICE_NOT_AVAILABLE and "pe2 refuses connections" in error.reason
    with connect(fleet, "pe1") as m:  # other devices keep accepting
        assert m.connected
    assert control.delete(f"/faults/{fault}").status_code == 204
    with connect(fleet, "pe2") as m:
        assert m.connected


def test_restart_reverts_a_pending_persisted_confirmed_commit(
    fleet: FleetThread, control: httpx.Client
) -> None:
    with connect(fleet, "pe1") as m:
        m.edit_config(config=description("confirmed"), target="candidate")
        m.commit()
        m.edit_config(config=description("pending"), target="candidate")
        m.commit(confirmed=True, timeout="600", persist="token-1")
        assert running_description(m) == "pending"
    with connect(fleet, "pe1") as m:  # the persisted commit outlives its session
        assert running_description(m) == "pending"
        m.lock("candidate")
    inject(control, kind="restart", device="pe1")
    with connect(fleet, "pe1") as m:
        assert running_description(m) == "confirmed"
        with pytest.raises(RPCError) as gone:
            m.commit(persist_id="token-1")
        assert gone.value.tag == "invalid-value"
        m.lock("candidate")  # the restart released the old lock
        m.unlock("candidate")
