"""Read what devices really hold, in parallel through Nornir (one task per device, one session):
subtree filters, or intents read back over the protocol each was written with."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeAlias

from lxml import etree
from nornir.core import Nornir
from nornir.core.task import AggregatedResult, Result, Task

from drivers.nornir_plugins import driver_of

Actual: TypeAlias = etree._Element | dict[str, Any] | str  # NETCONF <data>, gNMI {path: value}, or error


class Readable(Protocol):
    """Anything naming a device, the protocol it was written with, and how to read it back."""

    @property
    def device(self) -> str: ...

    @property
    def protocol(self) -> str: ...

    def read_filter(self) -> str: ...


def _get_configs(task: Task, filters: Mapping[str, list[str]]) -> Result:
    driver = driver_of(task.host, task.nornir.config)
    return Result(host=task.host, result=[driver.get_config(f) for f in filters[task.host.name]])


def read_filters(nr: Nornir, filters: Mapping[str, list[str]]) -> dict[str, list[etree._Element] | str]:
    """device -> the `<data>` reply to each of its subtree filters, or the error text."""
    if not filters:
        return {}
    results = nr.filter(filter_func=lambda h: h.name in filters).run(task=_get_configs, filters=filters)
    out: dict[str, list[etree._Element] | str] = {}
    for device in filters:
        replies = _replies(results, device)
        out[device] = replies if isinstance(replies, str) else [etree.fromstring(t.encode()) for t in replies]
    return out


def _replies(results: AggregatedResult, device: str) -> list[str] | str:
    """The texts one device's task returned, or why it has none."""
    host = results.get(device)
    if host is None or host.failed:
        exc = host.exception if host is not None else None
        return str(exc) if exc else "device not reachable"
    texts: list[str] = host[0].result
    return texts


def _read(task: Task, wanted: Mapping[str, list[Readable]]) -> Result:
    out: list[str] = []
    for want in wanted[task.host.name]:
        protocol = "gnmi" if want.protocol == "gnmi" else "netconf"
        out.append(driver_of(task.host, task.nornir.config, protocol).get_config(want.read_filter()))
    return Result(host=task.host, result=out)


def netconf_reads(wanted: Sequence[Readable]) -> dict[str, list[str]]:
    """device -> the subtree filters `read_back` reads over NETCONF, in its order: what
    `run_transaction(read_after_commit=...)` sends in each device's confirmed commit flight."""
    out: dict[str, list[str]] = {}
    for want in wanted:
        if want.protocol != "gnmi":
            out.setdefault(want.device, []).append(want.read_filter())
    return out


def read_back(nr: Nornir, wanted: Sequence[Readable]) -> list[Actual]:
    """For each entry, in order: what its device holds there (over the protocol it was written
    with), or the error text."""
    per: dict[str, list[Readable]] = {}
    for want in wanted:
        per.setdefault(want.device, []).append(want)
    if not per:
        return []
    results = nr.filter(filter_func=lambda h: h.name in per).run(task=_read, wanted=per)
    replies = {device: _replies(results, device) for device in per}
    position = dict.fromkeys(per, 0)
    out: list[Actual] = []
    for want in wanted:
        reply = replies[want.device]
        if isinstance(reply, str):
            out.append(reply)
            continue
        text = reply[position[want.device]]
        position[want.device] += 1
        out.append(json.loads(text) if want.protocol == "gnmi" else etree.fromstring(text.encode()))
    return out
