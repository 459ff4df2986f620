"""The closed SLA loop as `make demo` shows it (scripts/demo.sh), on a lab with the example slice
ordered, `rom serve` and a Kafka broker already up.

``python -m lab.sla_demo rules FILE``: writes the demo's SLA rule for the slice's RAN resource (found
in ROM's inventory) and creates the telemetry and alarm topics. scripts/demo.sh then starts
``rom telemetry run --rules FILE`` itself (so it can stop it, also on Ctrl-C).

``python -m lab.sla_demo watch``: reads ``rom.telemetry`` and ``rom.alarms`` and prints a row per
sample of the slice's KPIs (the cell's TS 28.552 measurements beside them), injects a ``load``
fault on the gNB through the lab's control API (as ``rom lab fault`` does), prints the alarm, the
corrective order's progress and the clearing as they come, and ends with the loop's timeline.
Exit 1 with the reason if a step does not come within its guard.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from rich.console import Console
from rich.table import Table

from lab.containerlab import read_control_url, running_pid

TELEMETRY, ALARMS = "rom.telemetry", "rom.alarms"
RESOURCES = "/tmf-api/resourceInventoryManagement/v4/resource"
ORDERS = "/tmf-api/resourceOrderingManagement/v4/resourceOrder"
SLICE = {"slice_sst": "2", "slice_sd": "00A0B1"}  # the URLLC slice of docs/examples/5g-slice-order.json
DEVICE = "gnb1"
THRESHOLD_MS = 3.0  # URLLC base latency is 2 ms; a load of x6 against maxRatio 60 gives 4-6 ms
FAULT = {"kind": "load", "device": DEVICE, "slice": "2-00A0B1", "load": 6}  # 6x the URLLC slice's demand
FAULT_CLI = "rom lab fault gnb1 load --slice 2-00A0B1 --load 6"
CELL = "/ManagedElement/GNBDUFunction/NRCellDU/kpis/"
SLICE_KPI = CELL + "slice/"
HEALTHY_S = 4.0  # rows shown before the fault
GUARD_S = 60.0  # per step: only a guard against a demo that hangs
FINAL = frozenset({"completed", "failed", "partial", "cancelled"})


def rule(resource: str) -> dict[str, Any]:
    """The demo's rule: URLLC latency over 3 ms for 1 s raises; the corrective order gives the slice
    all the PRBs it asks for (maxRatio 100)."""
    return {
        "name": "urllc-latency",
        "metric": "kpis/slice/latency",
        "op": ">",
        "threshold": THRESHOLD_MS,
        "for": 1,
        "clear_for": 2,
        "resource": resource,
        "device": DEVICE,
        "tags": SLICE,
        "corrective_order": {
            "orderItem": [
                {
                    "id": "more-prbs",
                    "action": "modify",
                    "resourceSpecification": {"id": "slice-ran"},
                    "resource": {
                        "id": "{resource}",
                        "resourceCharacteristic": [{"name": "maxRatio", "value": 100}],
                    },
                }
            ]
        },
    }


def ran_resource(api: httpx.Client) -> str:
    """The id of the slice's `slice-ran` resource in ROM's inventory."""
    listed = api.get(RESOURCES, params={"limit": 1000})
    listed.raise_for_status()
    found = [
        r["id"] for r in listed.json() if (r.get("resourceSpecification") or {}).get("id") == "slice-ran"
    ]
    if len(found) != 1:
        raise SystemExit(f"expected one slice-ran resource in the inventory, found {len(found)}")
    return str(found[0])


async def create_topics(bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        for name in (TELEMETRY, ALARMS):
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics([NewTopic(name, 1, 1)])
    finally:
        await admin.close()


@dataclass
class Row:
    """The latest values of the slice and of its cell."""

    resource: str = ""  # the RAN resource: its subscription's events only (the device's own repeat them)
    slice: dict[str, Any] = field(default_factory=dict)
    cell: dict[str, Any] = field(default_factory=dict)

    def take(self, event: dict[str, Any]) -> bool:
        """Keep the event's values; True when it carried the slice's latency."""
        if event.get("device") != DEVICE or event.get("resource") != self.resource:
            return False
        tags, values = event.get("tags") or {}, event.get("values") or {}
        if all(tags.get(k) == v for k, v in SLICE.items()):
            self.slice.update(
                {k.removeprefix(SLICE_KPI): v for k, v in values.items() if k.startswith(SLICE_KPI)}
            )
            return "latency" in self.slice and SLICE_KPI + "latency" in values
        if "slice_sst" not in tags:
            self.cell.update({k.removeprefix(CELL): v for k, v in values.items() if k.startswith(CELL)})
        return False

    @property
    def latency(self) -> float:
        return float(self.slice["latency"])


COLUMNS = [
    ("t", 7, "s after the fault"),
    ("latency", 8, "slice latency, ms"),
    ("prbUsedDl", 10, "slice PRBs used DL"),
    ("throughputDl", 13, "slice throughput DL, Mbit/s"),
    ("RRU.PrbUsedDl", 14, "cell PRBs used DL (TS 28.552 names from here)"),
    ("DRB.UEThpDl", 12, "cell UE throughput DL, kbit/s"),
    ("DRB.RlcSduDelayDl", 18, "cell RLC SDU delay DL, ms"),
]


class Watch:
    """Prints the loop as it happens and records when each step was seen."""

    def __init__(self, console: Console, api: httpx.Client, bootstrap: str) -> None:
        self.console, self.api, self.bootstrap = console, api, bootstrap
        self.row = Row(resource=ran_resource(api))
        self.breached = self.recovered = False
        self.first_row: float | None = None
        self.fault_at: float | None = None
        self.steps: list[tuple[float, str, str]] = []  # (monotonic, step, detail)
        self.raised: dict[str, Any] | None = None
        self.cleared: dict[str, Any] | None = None
        self.order: dict[str, Any] | None = None
        self._order_task: asyncio.Task[None] | None = None

    def since_fault(self, at: float | None = None) -> str:
        if self.fault_at is None:
            return "-"
        return f"{(at or time.monotonic()) - self.fault_at:+.1f}"

    def mark(self, step: str, detail: str, style: str = "bold") -> None:
        now = time.monotonic()
        self.steps.append((now, step, detail))
        self.console.print(f"[{style}]{self.since_fault(now):>7} {step}[/]: {detail}", highlight=False)

    def header(self) -> None:
        self.console.print("; ".join(f"{name}: {meaning}" for name, _, meaning in COLUMNS), style="dim")
        self.console.print(" ".join(f"{name:>{width}}" for name, width, _ in COLUMNS), style="bold")

    def print_row(self) -> None:
        cells = [self.since_fault()]
        cells += [str(self.row.slice.get(name, "")) for name, _, _ in COLUMNS[1:4]]
        cells += [str(self.row.cell.get(name, "")) for name, _, _ in COLUMNS[4:]]
        text = " ".join(f"{cell:>{width}}" for cell, (_, width, _) in zip(cells, COLUMNS, strict=True))
        breach = self.row.latency > THRESHOLD_MS
        self.console.print(
            text + ("  > 3 ms" if breach else ""), style="red" if breach else None, highlight=False
        )
        if breach and self.fault_at is not None and not self.breached:
            self.breached = True
            self.steps.append(
                (time.monotonic(), "slice latency over the threshold", f"{self.row.latency} ms")
            )
        if not breach and self.raised is not None and not self.recovered:
            self.recovered = True
            self.steps.append((time.monotonic(), "slice latency back under it", f"{self.row.latency} ms"))

    async def run(self) -> None:
        consumer = AIOKafkaConsumer(
            TELEMETRY, ALARMS, bootstrap_servers=self.bootstrap, auto_offset_reset="latest"
        )
        await consumer.start()
        try:
            await self._loop(consumer)
        finally:
            if self._order_task is not None:
                self._order_task.cancel()
            await consumer.stop()

    async def _loop(self, consumer: AIOKafkaConsumer) -> None:
        self.header()
        deadline = time.monotonic() + GUARD_S
        while not (self.cleared and self.order and self.order.get("state") in FINAL):
            if time.monotonic() > deadline:
                logs = os.environ.get("ROM_VAR_DIR", "var")
                raise SystemExit(f"the loop stopped at: {self.waiting_for()}; see {logs}/telemetry.log")
            batches = await consumer.getmany(timeout_ms=200)
            for tp, records in batches.items():
                for record in records:
                    body = json.loads(record.value or b"{}")
                    if tp.topic == ALARMS:
                        self.alarm(body)
                        deadline = time.monotonic() + GUARD_S
                    elif self.row.take(body):
                        self.first_row = self.first_row or time.monotonic()
                        self.print_row()
            if self.fault_at is None and self.first_row and time.monotonic() - self.first_row >= HEALTHY_S:
                await self.inject()
                deadline = time.monotonic() + GUARD_S

    def waiting_for(self) -> str:
        if not self.row.slice:
            return "the slice's first KPI sample on rom.telemetry"
        if self.raised is None:
            return "the SLA alarm on rom.alarms"
        if self.order is None or self.order.get("state") not in FINAL:
            return "the corrective order to end"
        return "the alarm to clear"

    async def inject(self) -> None:
        """The fault, through the lab's control API (what `rom lab fault` does)."""
        posted = await asyncio.to_thread(httpx.post, f"{control_url()}/faults", json=FAULT, timeout=30)
        if posted.is_error:
            raise SystemExit(f"the lab's control API refused the fault: {posted.status_code} {posted.text}")
        self.fault_at = time.monotonic()
        self.mark("fault injected", f"{FAULT_CLI} (6x the URLLC slice's demand on the cell)", "bold yellow")

    def alarm(self, body: dict[str, Any]) -> None:
        if body.get("state") == "raised" and self.raised is None:
            self.raised = body
            detail = (
                f"{body['alarmId']}: slice latency {body['value']} ms > {body['threshold']:g} ms for"
                f" {body['forSeconds']:g} s, on resource {body['resource']}"
            )
            self.mark("SLA alarm raised", detail, "bold red")
            corrective = body.get("correctiveOrder") or {}
            if corrective.get("id"):
                self.mark(
                    "corrective order submitted",
                    f"{corrective['id']} (TMF652 modify of the RAN resource: maxRatio 100)",
                )
                self._order_task = asyncio.create_task(self.follow(str(corrective["id"])))
            else:
                self.mark("corrective order refused", json.dumps(corrective), "bold red")
        elif body.get("state") == "cleared" and self.raised and body.get("alarmId") == self.raised["alarmId"]:
            self.cleared = body
            detail = f"{body['alarmId']}: slice latency {body['value']} ms"
            self.mark("SLA alarm cleared", detail, "bold green")

    async def follow(self, order_id: str) -> None:
        """Poll the corrective order until it ends, marking each state it passes through."""
        state = None
        while True:
            got = await asyncio.to_thread(self.api.get, f"{ORDERS}/{order_id}")
            got.raise_for_status()
            self.order = got.json()
            if self.order["state"] != state:
                state = self.order["state"]
                ended = state in FINAL
                style = ("bold green" if state == "completed" else "bold red") if ended else "bold"
                self.mark(
                    f"corrective order {state}",
                    order_id + (f": {self.order.get('note')}" if state == "failed" else ""),
                    style,
                )
            if state in FINAL:
                return
            await asyncio.sleep(0.2)

    def timeline(self) -> Table:
        table = Table("step", "s after the fault", "detail", title="The closed loop")
        for at, step, detail in sorted(self.steps):
            table.add_row(step, self.since_fault(at), detail)
        return table


def control_url() -> str:
    """The control API of the lab running under ROM_VAR_DIR."""
    for directory in sorted((Path(os.environ.get("ROM_VAR_DIR", "var")) / "lab").glob("*")):
        if running_pid(directory) and (url := read_control_url(directory)):
            return url
    raise SystemExit("no lab is running under ROM_VAR_DIR; start one with `rom lab up TOPOLOGY`")


def write_rules(path: Path, api: httpx.Client, bootstrap: str, console: Console) -> None:
    ran = ran_resource(api)
    path.write_text(yaml.safe_dump([rule(ran)], sort_keys=False))
    asyncio.run(create_topics(bootstrap))
    console.print(
        f"SLA rule urllc-latency ({path}): slice latency on {DEVICE} > {THRESHOLD_MS:g} ms for 1 s raises an"
        f" alarm on the RAN resource {ran} and orders maxRatio 100; 2 s under the threshold clears it",
        highlight=False,
    )


def watch(api: httpx.Client, bootstrap: str, console: Console) -> int:
    console.print(
        f"The URLLC slice on {DEVICE} as the collector streams it (a row per sample; healthy for"
        f" {HEALTHY_S:g} s, then a fault):",
        highlight=False,
    )
    watcher = Watch(console, api, bootstrap)
    asyncio.run(watcher.run())
    console.print(watcher.timeline())
    order = watcher.order or {}
    if order.get("state") != "completed":
        console.print(
            f"the corrective order ended {order.get('state')}: {order.get('note')}", style="bold red"
        )
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.sla_demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["rules", "watch"])
    parser.add_argument("rules_file", nargs="?", type=Path, help="where `rules` writes the rule")
    args = parser.parse_args(argv)
    api_url, bootstrap = os.environ.get("ROM_API_URL"), os.environ.get("ROM_KAFKA_BOOTSTRAP")
    if not api_url or not bootstrap:
        parser.error("set ROM_API_URL and ROM_KAFKA_BOOTSTRAP")
    console = Console()
    with httpx.Client(base_url=api_url, timeout=30) as api:
        if args.command == "rules":
            if args.rules_file is None:
                parser.error("rules: name the file to write")
            write_rules(args.rules_file, api, bootstrap, console)
            return 0
        return watch(api, bootstrap, console)


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:  # Ctrl-C: scripts/demo.sh stops what it started
        raise SystemExit(130) from None
