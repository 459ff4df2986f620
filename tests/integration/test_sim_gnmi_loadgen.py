"""sims.gnmi.loadgen: pre-encoded counter streams that decode as ordinary gNMI, with changing values,
and an exact count of what was sent (SIGUSR1)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator

import grpc
import pytest
from pygnmi.spec.v080 import gnmi_pb2, gnmi_pb2_grpc

from lab.support import REPO
from sims.gnmi.loadgen import response, updates_body, varint

pytestmark = pytest.mark.integration


def test_hand_encoded_response_is_a_valid_subscribe_response() -> None:
    assert varint(300) == b"\xac\x02"
    body = updates_body(3, interfaces=2, counters=4, variant=5)
    parsed = gnmi_pb2.SubscribeResponse.FromString(response(body, 1_796_000_000_123_456_789))
    assert parsed.update.timestamp == 1_796_000_000_123_456_789
    assert len(parsed.update.update) == 8
    first = parsed.update.update[0]
    assert [e.name for e in first.path.elem] == ["interfaces", "interface", "state", "counters", "in-octets"]
    assert first.path.elem[1].key["name"] == "Ethernet1" and first.val.HasField("uint_val")


@pytest.fixture
def loadgen() -> Iterator[tuple[subprocess.Popen[str], list[dict[str, object]]]]:
    proc = subprocess.Popen(
        [sys.executable, "-W", "ignore", "-m", "sims.gnmi.loadgen", "--devices", "3", "--interfaces", "2",
         "--counters", "4", "--interval", "0.05", "--processes", "2"],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        yield proc, json.loads(proc.stdout.readline())["devices"]
    finally:
        proc.terminate()
        proc.wait(30)


def test_streams_change_and_the_count_is_exact(
    loadgen: tuple[subprocess.Popen[str], list[dict[str, object]]],
) -> None:
    proc, devices = loadgen
    assert [d["name"] for d in devices] == ["r1", "r2", "r3"]
    received, values = 0, []
    with grpc.insecure_channel(f"127.0.0.1:{devices[0]['gnmi_port']}") as channel:
        stream = gnmi_pb2_grpc.gNMIStub(channel).Subscribe(iter([gnmi_pb2.SubscribeRequest()]), timeout=60)
        kinds = []
        for reply in stream:
            kinds.append(reply.WhichOneof("response"))
            if reply.HasField("update"):
                received += len(reply.update.update)
                values.append(reply.update.update[0].val.uint_val)
            if len(values) == 5:
                break
        assert kinds[:2] == ["update", "sync_response"]
        assert values == sorted(values) and len(set(values)) == 5  # a growing counter
        assert proc.stdout is not None
        proc.send_signal(signal.SIGUSR1)
        sent = json.loads(proc.stdout.readline())
        stream.cancel()
    assert sent["sent_updates"] >= received and sent["sent_updates"] == sent["sent_notifications"] * 8
