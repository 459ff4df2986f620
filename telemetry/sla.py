"""The SLA monitor: a consumer group on ``rom.telemetry`` evaluating rules, alarms to ``rom.alarms``.

For every alarm raised or cleared (``telemetry.sla_rules``) the monitor publishes the alarm
(keyed by its subject: the resource id, else the device), optionally sets the resource's
``resourceStatus`` in ROM's inventory (TMF639 PATCH: ``alarm`` when raised, which ROM's
lifecycle refuses on a suspended resource; ``available`` when cleared, if still ``alarm``) and,
when the rule names a corrective order, submits it to ROM's TMF652 API
(``POST …/resourceOrder``, ``X-Correlation-ID`` = alarm id). ``submit`` may replace the HTTP call.
With an API URL the alarm is also raised in ROM's TMF642 Alarm Management (``POST …/alarm``) and
cleared there (``PATCH`` with its ``alarmClearedTime``).
While the corrective order of a rule and subject has not ended (ROM's API says its state), a new
alarm of theirs does not submit another one: its ``correctiveOrder`` names the running order.

That memory survives restarts because it lives in ROM: the n-th corrective order of a rule and
subject has the externalId ``rom-sla:<rule>:<subject>:<n>`` (unless the rule's template sets one),
ROM's idempotency key. A monitor that does not know a rule and subject yet (it just started, or
took the partition over) reads the last of them from ROM first; two monitors submitting the same
n get one order (a replay, or a 409 that names it).

Rule state lives in memory: after a rebalance or a restart the new owner of a partition rebuilds
it from the telemetry it reads (an alarm raised before may be raised again with a new id, but
finds its corrective order still running in ROM).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from core.order_states import TERMINAL_STATES
from inventory.tmf639 import device_resource_id
from inventory.tmf642 import ALARM_PATH
from telemetry import metrics
from telemetry.events import Event
from telemetry.publish import TOPIC as TELEMETRY_TOPIC
from telemetry.sla_rules import Alarm, Rule, SlaEvaluator, corrective_order, iso

log = logging.getLogger(__name__)
ALARMS_TOPIC = "rom.alarms"
ORDERS_PATH = "/tmf-api/resourceOrderingManagement/v4/resourceOrder"
RESOURCE_PATH = "/tmf-api/resourceInventoryManagement/v4/resource"
ENDED = TERMINAL_STATES | {"gone"}
Submit = Callable[[dict[str, Any], str], Awaitable[dict[str, Any]]]

__all__ = ["ALARMS_TOPIC", "Rule", "SlaMonitor", "http_submitter"]


def http_submitter(api_url: str, client: httpx.AsyncClient) -> Submit:
    """POST a ResourceOrderCreate to ROM's TMF652 API; returns ``{id, href, status}``."""

    async def submit(body: dict[str, Any], correlation_id: str) -> dict[str, Any]:
        response = await client.post(
            api_url.rstrip("/") + ORDERS_PATH, json=body, headers={"X-Correlation-ID": correlation_id}
        )
        answer = response.json() if response.content else {}
        return {
            "id": answer.get("id") if isinstance(answer, dict) else None,
            "href": answer.get("href") if isinstance(answer, dict) else None,
            "status": response.status_code,
        }

    return submit


def corrective_external_id(key: tuple[str, str], seq: int) -> str:
    """The externalId of the `seq`-th corrective order of a (rule, subject)."""
    return f"rom-sla:{key[0]}:{key[1]}:{seq}"


class SlaMonitor:
    """``await start()``, ``await run()`` (until cancelled or ``stop()``), ``await stop()``."""

    def __init__(
        self,
        bootstrap: str,
        rules: Sequence[Rule],
        *,
        telemetry_topic: str = TELEMETRY_TOPIC,
        alarms_topic: str = ALARMS_TOPIC,
        group_id: str = "rom-sla",
        api_url: str | None = None,
        submit: Submit | None = None,
        set_inventory_state: bool = True,
        auto_offset_reset: str = "latest",
        api_key: str | None = None,
    ) -> None:
        self.evaluator = SlaEvaluator(list(rules))
        self.alarms_topic = alarms_topic
        self.api_url = api_url
        self.set_inventory_state = set_inventory_state and api_url is not None
        auth = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.AsyncClient(timeout=30, headers=auth)
        self.submit = submit or (http_submitter(api_url, self._http) if api_url else None)
        self.consumer = AIOKafkaConsumer(
            telemetry_topic,
            bootstrap_servers=bootstrap,
            group_id=group_id,
            auto_offset_reset=auto_offset_reset,
            enable_auto_commit=True,
        )
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
        self.published: list[dict[str, Any]] = []  # alarms published by this monitor, in order
        # (rule, subject) -> its last corrective order's id and number (None: ROM holds none)
        self._orders: dict[tuple[str, str], tuple[str, int] | None] = {}
        self._tmf642: dict[str, str] = {}  # alarm id -> the id of its TMF642 alarm in ROM
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        await self.producer.start()
        await self.consumer.start()

    async def stop(self) -> None:
        self._stopping.set()
        await self.consumer.stop()
        await self.producer.stop()
        await self._http.aclose()

    async def run(self) -> None:
        """Consume telemetry and act on alarms until ``stop()``."""
        while not self._stopping.is_set():
            try:
                batches = await self.consumer.getmany(timeout_ms=200, max_records=5000)
            except Exception:  # the consumer was stopped under us
                if self._stopping.is_set():
                    return
                raise
            for records in batches.values():
                for record in records:
                    await self._record(record.value)

    async def _record(self, value: bytes | None) -> None:
        try:
            event = Event.from_dict(json.loads(value or b""))
        except (ValueError, KeyError, TypeError):
            metrics.BAD_UPDATES.labels("bad-event").inc()
            return
        for alarm in self.evaluator.observe(event):
            await self.handle(alarm)

    async def handle(self, alarm: Alarm) -> None:
        """Corrective order (on raise), inventory state, then the alarm message."""
        if alarm.state == "raised":
            metrics.ALARMS_RAISED.labels(alarm.rule.name).inc()
            metrics.ALARMS_ACTIVE.inc()
            body = corrective_order(alarm)
            if body is not None and self.submit is not None:
                alarm.corrective = await self._corrective(alarm, body)
        else:
            metrics.ALARMS_CLEARED.labels(alarm.rule.name).inc()
            metrics.ALARMS_ACTIVE.dec()
        if self.set_inventory_state and alarm.resource:
            await self._patch_resource(alarm.resource, alarm.state == "raised")
        if self.api_url is not None:
            await self._report_tmf642(alarm)
        message = alarm.to_dict()
        key = (alarm.resource or alarm.device).encode()
        await self.producer.send_and_wait(self.alarms_topic, json.dumps(message).encode(), key=key)
        self.published.append(message)
        log.warning("SLA alarm %s %s: %s", alarm.alarm_id, alarm.state, message["specificProblem"])

    async def _corrective(self, alarm: Alarm, body: dict[str, Any]) -> dict[str, Any]:
        """Submit the corrective order, unless the previous one for this rule and subject still runs."""
        key = (alarm.rule.name, alarm.subject)
        if self.api_url and key not in self._orders:
            self._orders[key] = await self._last_in_rom(key)  # after a restart: ROM remembers
        previous = self._orders.get(key) if self.api_url else None
        state = await self._order_state(previous[0]) if previous else None
        if previous and state not in ENDED:
            metrics.CORRECTIVE_ORDERS.labels("running").inc()
            return {"id": previous[0], "state": state, "note": "the previous corrective order has not ended"}
        seq = previous[1] + 1 if previous else 1
        body = {"externalId": corrective_external_id(key, seq), **body}
        answer = await self._submit(body, alarm.alarm_id)
        if answer.get("status") == 409 and self.api_url:  # another monitor submitted this one
            found = await self._order_id(corrective_external_id(key, seq))
            answer = {**answer, "id": found} if found else answer
        if answer.get("id"):
            self._orders[key] = (str(answer["id"]), seq)
        return answer

    async def _last_in_rom(self, key: tuple[str, str]) -> tuple[str, int] | None:
        """The newest corrective order ROM holds for this rule and subject, with its number."""
        last, seq = None, 1
        while (found := await self._order_id(corrective_external_id(key, seq))) is not None:
            last, seq = (found, seq), seq + 1
        return last

    async def _order_id(self, external_id: str) -> str | None:
        assert self.api_url is not None
        url = f"{self.api_url.rstrip('/')}{ORDERS_PATH}"
        try:
            response = await self._http.get(
                url, params={"externalId": external_id, "fields": "id,externalId"}
            )
            found = response.json() if response.status_code == 200 else []
        except (httpx.HTTPError, OSError, ValueError) as exc:
            log.warning("corrective orders not read from ROM: %s", exc)
            return None
        if not isinstance(found, list):
            return None
        return next((str(o["id"]) for o in found if o.get("externalId") == external_id), None)

    async def _order_state(self, order_id: str) -> str | None:
        """The order's state from ROM's API (``gone`` once deleted); None if it cannot be read (then
        it counts as running)."""
        assert self.api_url is not None
        try:
            response = await self._http.get(f"{self.api_url.rstrip('/')}{ORDERS_PATH}/{order_id}")
            if response.status_code == 404:
                return "gone"
            state = response.json().get("state") if response.status_code == 200 else None
        except (httpx.HTTPError, OSError, ValueError, AttributeError) as exc:
            log.warning("corrective order %s: state not read: %s", order_id, exc)
            return None
        return str(state) if state else None

    async def _submit(self, body: dict[str, Any], alarm_id: str) -> dict[str, Any]:
        assert self.submit is not None
        try:
            answer = await self.submit(body, alarm_id)
        except (httpx.HTTPError, OSError) as exc:
            metrics.CORRECTIVE_ORDERS.labels("error").inc()
            log.error("corrective order for alarm %s failed: %s", alarm_id, exc)
            return {"error": str(exc)}
        status = int(answer.get("status", 0))
        metrics.CORRECTIVE_ORDERS.labels("accepted" if 200 <= status < 300 else "refused").inc()
        return answer

    async def _report_tmf642(self, alarm: Alarm) -> None:
        """Raise the alarm in ROM's TMF642 API (POST), or clear the one raised (PATCH)."""
        assert self.api_url is not None
        url = f"{self.api_url.rstrip('/')}{ALARM_PATH}"
        try:
            if alarm.state == "raised":
                alarmed = alarm.resource or device_resource_id(alarm.device)
                response = await self._http.post(url, json=alarm.to_tmf642(RESOURCE_PATH, alarmed))
                if response.status_code == 201:
                    self._tmf642[alarm.alarm_id] = str(response.json()["id"])
            elif (tmf_id := self._tmf642.pop(alarm.alarm_id, None)) is not None:
                assert alarm.cleared_ns is not None
                clear = {"alarmClearedTime": iso(alarm.cleared_ns), "clearSystemId": "rom-sla"}
                response = await self._http.patch(
                    f"{url}/{tmf_id}", json=clear, headers={"Content-Type": "application/merge-patch+json"}
                )
            else:
                return
        except (httpx.HTTPError, OSError, ValueError, KeyError) as exc:
            log.warning("TMF642: alarm %s not reported (%s): %s", alarm.alarm_id, alarm.state, exc)
            return
        if response.status_code >= 300:
            log.warning("TMF642: alarm %s not reported (%s): %s", alarm.alarm_id, alarm.state, response.text)

    async def _patch_resource(self, resource_id: str, raised: bool) -> None:
        """`alarm` on a raise (ROM refuses it, 422, on a suspended or reserved resource); back to
        `available` on a clear only if the resource is still in `alarm` (a JSON patch's `test`), so
        a clear never releases a resource an operator suspended meanwhile."""
        assert self.api_url is not None
        url = f"{self.api_url.rstrip('/')}{RESOURCE_PATH}/{resource_id}"
        status = "alarm" if raised else "available"
        if raised:
            body: Any = {"resourceStatus": status}
            content_type = "application/merge-patch+json"
        else:
            body = [
                {"op": "test", "path": "/resourceStatus", "value": "alarm"},
                {"op": "replace", "path": "/resourceStatus", "value": status},
            ]
            content_type = "application/json-patch+json"
        try:
            response = await self._http.patch(
                url, content=json.dumps(body), headers={"Content-Type": content_type}
            )
        except (httpx.HTTPError, OSError) as exc:
            log.warning("inventory: resource %s not set to %s: %s", resource_id, status, exc)
            return
        if response.status_code >= 300:
            log.warning(
                "inventory: resource %s not set to %s (%s)", resource_id, status, response.status_code
            )
