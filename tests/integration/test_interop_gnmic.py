"""Interop: gnmic (openconfig/gnmic v0.47.0, Go, independent of ROM) against the simulators.

Capabilities, Get, Set (read back through the device's datastore, i.e. what NETCONF sees), and
Subscribe ONCE, STREAM (SAMPLE and ON_CHANGE) and POLL; then TLS and mutual TLS with the lab PKI,
and the handshakes that must fail. gnmic comes from ``scripts/tools/gnmic.sh`` (``gnmic_peer``).
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sims.fleet import FleetThread, SimDeviceSpec
from sims.gnmi import LabPki, load_or_create_pki
from tests.integration.gnmic_peer import gnmic_binary

pytestmark = pytest.mark.integration
IF = "http://openconfig.net/yang/interfaces"
PROMPTS = ("select target to poll", "select subscription to poll")
LOGIN = ("-u", "admin", "-p", "admin", "--timeout", "10s")


@pytest.fixture(scope="module")
def gnmic() -> Path:
    return gnmic_binary()


@pytest.fixture(scope="module")
def fleet() -> Iterator[FleetThread]:
    with FleetThread([SimDeviceSpec("r1")]) as running:
        yield running


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> LabPki:
    return load_or_create_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def mtls_fleet(pki: LabPki) -> Iterator[FleetThread]:
    with FleetThread([SimDeviceSpec("r1")], gnmi_tls=pki.server_material(mutual=True)) as running:
        yield running


def plain(gnmic: Path, fleet: FleetThread) -> list[str]:
    return [str(gnmic), "-a", f"127.0.0.1:{fleet.gnmi_port('r1')}", *LOGIN, "--insecure"]


def tls(gnmic: Path, fleet: FleetThread, pki: LabPki, ca: Path | None = None) -> list[str]:
    assert pki.ca.cert_path and pki.client.cert_path
    client = pki.client.cert_path
    return [
        str(gnmic), "-a", f"127.0.0.1:{fleet.gnmi_port('r1')}", *LOGIN,
        "--tls-ca", str(ca or pki.ca.cert_path),
        "--tls-cert", str(client), "--tls-key", str(client.with_suffix(".key")),
    ]  # fmt: skip


def run(cmd: list[str], *args: str, ok: bool = True) -> str:
    proc = subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=60, check=False)
    if ok:
        assert proc.returncode == 0, f"gnmic {' '.join(args)} failed:\n{proc.stderr[-3000:]}"
    else:
        assert proc.returncode != 0, f"gnmic {' '.join(args)} should have failed:\n{proc.stdout[-2000:]}"
    return proc.stdout + proc.stderr if not ok else proc.stdout


def values(output: str, leaf: str) -> list[object]:
    """Every value gnmic printed for paths ending in ``leaf`` (its default JSON output)."""
    found: list[object] = []
    decoder, pos = json.JSONDecoder(), 0
    while (start := output.find("{", pos)) >= 0:
        try:
            doc, pos = decoder.raw_decode(output, start)
        except json.JSONDecodeError:
            pos = start + 1
            continue
        docs = doc if isinstance(doc, list) else [doc]
        for item in docs:
            for update in item.get("updates", []) if isinstance(item, dict) else []:
                for path, value in update.get("values", {}).items():
                    if path.endswith(leaf):
                        found.append(value)
    return found


def mtu_in_running(fleet: FleetThread) -> list[str]:
    def read(f: object) -> list[str]:
        running = fleet.fleet.device("r1").datastore.running
        return [str(v) for v in running.xpath("//i:config/i:mtu/text()", namespaces={"i": IF})]

    return fleet.call(read)


# -- plaintext ----------------------------------------------------------------------------------
def test_capabilities(gnmic: Path, fleet: FleetThread) -> None:
    out = run(plain(gnmic, fleet), "capabilities")
    assert "gNMI version: 0.8.0" in out or "0.8.0" in out, out
    assert "openconfig-interfaces" in out and "JSON_IETF" in out


def test_get(gnmic: Path, fleet: FleetThread) -> None:
    out = run(
        plain(gnmic, fleet), "get", "--encoding", "json_ietf",
        "--path", "/interfaces/interface[name=Ethernet1]/config/name",
    )  # fmt: skip
    assert values(out, "name") == ["Ethernet1"], out


def test_set_reaches_the_netconf_datastore(gnmic: Path, fleet: FleetThread) -> None:
    path = "/interfaces/interface[name=Ethernet1]/config/mtu"
    out = run(
        plain(gnmic, fleet), "set", "--encoding", "json_ietf", "--update-path", path, "--update-value", "9100"
    )
    assert '"operation": "UPDATE"' in out, out
    assert "9100" in mtu_in_running(fleet)
    got = run(plain(gnmic, fleet), "get", "--encoding", "json_ietf", "--path", path)
    assert values(got, "mtu") == [9100], got


def test_set_refused_is_an_error(gnmic: Path, fleet: FleetThread) -> None:
    out = run(
        plain(gnmic, fleet), "set", "--encoding", "json_ietf",
        "--update-path", "/interfaces/interface[name=Ethernet1]/config/mtu",
        "--update-value", '"not a number"',
        ok=False,
    )  # fmt: skip
    assert "rpc error" in out, out


def test_subscribe_once(gnmic: Path, fleet: FleetThread) -> None:
    out = run(
        plain(gnmic, fleet), "subscribe", "--mode", "once", "--encoding", "json_ietf",
        "--path", "/system/config/hostname",
    )  # fmt: skip
    assert values(out, "hostname") == ["r1"], out


class Stream:
    """A long-running gnmic whose output is collected by a reader thread."""

    def __init__(self, cmd: list[str]) -> None:
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.output = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output += line

    def wait_for(self, done: Callable[[str], bool], timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if done(self.output):
                return self.output
            assert self.proc.poll() is None, f"gnmic exited {self.proc.returncode}:\n{self.output[-3000:]}"
            time.sleep(0.05)
        raise AssertionError(f"gnmic output did not get there in {timeout} s:\n{self.output[-3000:]}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def test_subscribe_stream_sample(gnmic: Path, fleet: FleetThread) -> None:
    stream = Stream([
        *plain(gnmic, fleet), "subscribe", "--mode", "stream", "--stream-mode", "sample",
        "--sample-interval", "200ms", "--encoding", "json_ietf",
        "--path", "/interfaces/interface[name=Ethernet1]/state/counters/in-octets",
    ])  # fmt: skip
    try:
        out = stream.wait_for(lambda text: len(values(text, "in-octets")) >= 4)
    finally:
        stream.stop()
    counters = [int(str(v)) for v in values(out, "in-octets")]
    assert counters == sorted(counters) and counters[-1] > counters[0], counters  # a live counter


def test_subscribe_stream_on_change_sees_a_set(gnmic: Path, fleet: FleetThread) -> None:
    path = "/interfaces/interface[name=Ethernet2]/config/description"
    stream = Stream([
        *plain(gnmic, fleet), "subscribe", "--mode", "stream", "--stream-mode", "on-change",
        "--encoding", "json_ietf", "--path", path,
    ])  # fmt: skip
    try:
        stream.wait_for(lambda text: "sync" in text.lower() or bool(values(text, "description")))
        run(
            plain(gnmic, fleet),
            "set",
            "--encoding",
            "json_ietf",
            "--update-path",
            path,
            "--update-value",
            '"via gnmic"',
        )
        stream.wait_for(lambda text: "via gnmic" in values(text, "description"))
    finally:
        stream.stop()


def next_prompt(output: str, start: int) -> int:
    found = [at for prompt in PROMPTS if (at := output.find(prompt, start)) >= 0]
    return min(found, default=-1)


def test_subscribe_poll(gnmic: Path, fleet: FleetThread) -> None:
    """gnmic asks which target and subscription to poll on a terminal: answer with Enter twice and
    expect a second full response, with a later counter value, after the initial one."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [
            *plain(gnmic, fleet), "subscribe", "--mode", "poll", "--encoding", "json_ietf",
            "--path", "/interfaces/interface[name=Ethernet1]/state/counters/in-octets",
        ],
        stdin=slave, stdout=slave, stderr=slave, close_fds=True,
    )  # fmt: skip
    os.close(slave)
    output, seen = "", 0
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline and output.count("received sync response") < 2:
            if not select.select([master], [], [], 0.5)[0]:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk.decode(errors="replace")
            # Enter at each prompt: the first (only) target, then its only subscription. A prompt
            # drawn again (a key that came before the terminal was raw) is answered again.
            while (at := next_prompt(output, seen)) >= 0:
                time.sleep(0.2)  # let the prompt switch the terminal to raw mode
                os.write(master, b"\r")
                seen = at + 1
    finally:
        os.close(master)
        proc.kill()
        proc.wait(10)
    counters = [int(str(v)) for v in values(output, "in-octets")]
    assert len(counters) >= 2 and counters[1] >= counters[0], output[-3000:]
    assert output.count("received sync response") >= 2, output[-3000:]


# -- TLS --------------------------------------------------------------------------------------
def test_mutual_tls_capabilities_and_subscribe(gnmic: Path, mtls_fleet: FleetThread, pki: LabPki) -> None:
    cmd = tls(gnmic, mtls_fleet, pki)
    assert "openconfig-interfaces" in run(cmd, "capabilities")
    out = run(
        cmd, "subscribe", "--mode", "once", "--encoding", "json_ietf", "--path", "/system/config/hostname"
    )
    assert values(out, "hostname") == ["r1"], out


def test_tls_refuses_a_server_signed_by_another_ca(
    gnmic: Path, mtls_fleet: FleetThread, pki: LabPki, tmp_path: Path
) -> None:
    stranger = load_or_create_pki(tmp_path)
    assert stranger.ca.cert_path
    run(tls(gnmic, mtls_fleet, pki, ca=stranger.ca.cert_path), "capabilities", ok=False)


def test_mutual_tls_refuses_a_client_without_certificate(
    gnmic: Path, mtls_fleet: FleetThread, pki: LabPki
) -> None:
    assert pki.ca.cert_path
    cmd = [
        str(gnmic),
        "-a",
        f"127.0.0.1:{mtls_fleet.gnmi_port('r1')}",
        *LOGIN,
        "--tls-ca",
        str(pki.ca.cert_path),
    ]
    run(cmd, "capabilities", ok=False)


def test_plaintext_client_is_refused_by_a_tls_server(gnmic: Path, mtls_fleet: FleetThread) -> None:
    run(plain(gnmic, mtls_fleet), "capabilities", ok=False)
