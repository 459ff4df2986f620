"""The soak's order stream (bench/soak.py) on the 5G lab: L3VPN endpoints and 5G slices added,
L3VPN endpoints modified, endpoints and slices deleted, and slices bound to fail (an N3 address no
node holds: the order fails at its reachability check and every device is rolled back).

A refused or failed POST is retried with the same externalId (a replay), so none is lost and none
is duplicated. Modifies and deletes name resources of earlier completed orders; a resource is
touched by one order at a time."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from typing import Any, Protocol

import httpx

ORDERS = "/tmf-api/resourceOrderingManagement/v4/resourceOrder"
FINAL = {"completed", "failed", "partial", "cancelled"}
# kind -> weight; a modify or delete with nothing to act on adds an L3VPN instead
MIX = {"l3vpn": 30, "slice": 10, "slice-bound-to-fail": 5, "modify": 20, "delete": 35}
UNKNOWN_N3 = "10.3.0.99"  # no node of the 5G lab holds it


class HasPort(Protocol):
    port: int


def chars(values: dict[str, Any]) -> dict[str, Any]:
    return {"resourceCharacteristic": [{"name": k, "value": v} for k, v in values.items()]}


def resource(values: dict[str, Any]) -> dict[str, Any]:
    return {"resource": chars(values)}


def l3vpn_body(i: int) -> dict[str, Any]:
    devices = [("pe1",), ("pe2",), ("pe1", "pe2")][i % 3]
    items = []
    for n, device in enumerate(devices, start=1):
        values = {
            "device": device,
            "vrfName": f"S{i}",
            "routeDistinguisher": f"65002:{i}",
            "interface": "Ethernet3",
            "vlanId": 100 + i % 3900,
            "ipv4Address": f"10.{100 + i // 250 % 100}.{i % 250}.{n}",
            "prefixLength": 30,
        }
        spec = {"id": "l3vpn-endpoint"}
        items.append({"id": str(n), "action": "add", "resourceSpecification": spec, **resource(values)})
    return {"externalId": f"soak-{i}", "orderItem": items}


def slice_body(i: int, n3: str = "10.3.0.10") -> dict[str, Any]:
    sd = f"{0xA00000 + i:06X}"
    core = {
        "upfDevice": "upf1",
        "smfDevice": "smf1",
        "sst": 1 + i % 3,
        "sd": sd,
        "dnn": f"soak{i}.example",
        "upfMaxSessions": 20000,  # the UPF's own figure: a lower one raises its session utilisation
        "pduSessions": 10,
        "gnbPeDevice": "pe1",
        "upfN3Address": n3,
    }
    ran = {
        "device": "gnb1",
        "cellId": "1",
        "policyId": f"soak-{i}",
        "sst": 1 + i % 3,
        "sd": sd,
        "maxRatio": 10,
        "minRatio": 1,
        "dedicatedRatio": 1,
    }
    qos = {
        "device": "pe1",
        "interface": "Ethernet1",
        "queueName": f"SOAK-{i}",
        "priority": 5,
        "strictPriority": False,
        "bandwidthMbps": 100,
    }
    parts = (("core", "slice-core", core), ("ran", "slice-ran", ran), ("qos", "transport-qos", qos))
    items = [
        {"id": name, "action": "add", "resourceSpecification": {"id": spec}, **resource(values)}
        for name, spec, values in parts
    ]
    return {"externalId": f"soak-{i}", "orderItem": items}


def modify_body(i: int, resource_id: str) -> dict[str, Any]:
    item = {
        "id": "1",
        "action": "modify",
        "resource": {"id": resource_id, **chars({"routeDistinguisher": f"65003:{i}"})},
    }
    return {"externalId": f"soak-{i}", "orderItem": [item]}


def delete_body(i: int, resource_ids: list[str]) -> dict[str, Any]:
    items = [{"id": str(n), "action": "delete", "resource": {"id": r}} for n, r in enumerate(resource_ids, 1)]
    return {"externalId": f"soak-{i}", "orderItem": items}


class Load(threading.Thread):
    """Orders at `rate` per second, spread over the live `rom serve`s (see the module doc)."""

    def __init__(self, serves: list[HasPort], rate: float, seed: int) -> None:
        super().__init__(daemon=True)
        self.serves, self.rate, self.stop = serves, rate, threading.Event()
        self.rng = random.Random(seed)
        self.accepted: dict[int, str] = {}
        self.kinds: Counter[str] = Counter()  # accepted orders per kind
        self.refused: Counter[str] = Counter()  # refused for good at intake, per kind and status
        # order id -> (kind, resource ids it acts on); resources by kind, free to modify or delete
        self._pending: dict[str, tuple[str, list[str]]] = {}
        self._live: dict[str, list[list[str]]] = {"l3vpn": [], "slice": []}

    def run(self) -> None:
        i = 0
        while not self.stop.is_set():
            self._next(i)
            i += 1
            self.stop.wait(1 / self.rate)

    def _next(self, i: int) -> None:
        kind = self.rng.choices(list(MIX), weights=list(MIX.values()))[0]
        if kind in ("modify", "delete"):
            self._poll()
        if kind == "modify" and self._live["l3vpn"]:
            ids = self._live["l3vpn"].pop(self.rng.randrange(len(self._live["l3vpn"])))
            self._submit(i, kind, modify_body(i, ids[0]), ("l3vpn", ids))
        elif kind == "delete" and (self._live["l3vpn"] or self._live["slice"]):
            of = "slice" if len(self._live["slice"]) >= max(1, len(self._live["l3vpn"]) // 3) else "l3vpn"
            of = of if self._live[of] else ("l3vpn" if of == "slice" else "slice")
            ids = self._live[of].pop(self.rng.randrange(len(self._live[of])))
            self._submit(i, kind, delete_body(i, ids), None)
        elif kind == "slice":
            self._submit(i, kind, slice_body(i), ("slice", []))
        elif kind == "slice-bound-to-fail":
            self._submit(i, kind, slice_body(i, UNKNOWN_N3), None)
        else:
            self._submit(i, "l3vpn", l3vpn_body(i), ("l3vpn", []))

    def _submit(self, i: int, kind: str, body: dict[str, Any], track: tuple[str, list[str]] | None) -> None:
        for attempt in range(200):
            serve = self.serves[(i + attempt) % len(self.serves)]
            try:
                answer = httpx.post(f"http://127.0.0.1:{serve.port}{ORDERS}", json=body, timeout=10)
            except httpx.HTTPError:
                time.sleep(0.1)
                continue
            if answer.status_code in (200, 201):
                self.accepted[i] = answer.json()["id"]
                self.kinds[kind] += 1
                if track is not None:
                    self._pending[self.accepted[i]] = track
                return
            if answer.status_code < 500 and answer.status_code != 409:
                self.refused[f"{kind} {answer.status_code}"] += 1  # refused for good: not accepted
                if track is not None and track[1]:
                    self._live[track[0]].append(track[1])  # a refused modify leaves the resource free
                return
            time.sleep(0.1)

    def _poll(self, most: int = 10) -> None:
        """Look at the oldest pending adds and modifies: a final one frees its resources."""
        for order_id in list(self._pending)[:most]:
            serve = self.serves[self.rng.randrange(len(self.serves))]
            try:
                doc = httpx.get(f"http://127.0.0.1:{serve.port}{ORDERS}/{order_id}", timeout=10).json()
            except (httpx.HTTPError, ValueError):
                return
            if doc.get("state") not in FINAL:
                continue
            of, ids = self._pending.pop(order_id)
            if not ids and doc["state"] == "completed":  # an add: the resources it made
                ids = [it["resource"]["id"] for it in doc["orderItem"] if it.get("resource", {}).get("id")]
            if ids:
                self._live[of].append(ids)
