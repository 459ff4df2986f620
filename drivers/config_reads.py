"""Read what devices really hold, in parallel through Nornir (one task per device, one session)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from lxml import etree
from nornir.core import Nornir
from nornir.core.task import Result, Task

from drivers.nornir_plugins import driver_of


class Scoped(Protocol):
    """Anything naming a device and the filter that reads its part of that device."""

    @property
    def device(self) -> str: ...

    @property
    def filter(self) -> etree._Element: ...


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
        host_result = results.get(device)
        if host_result is None or host_result.failed:
            exc = host_result.exception if host_result is not None else None
            out[device] = str(exc) if exc else "device not reachable"
        else:
            out[device] = [etree.fromstring(text.encode()) for text in host_result[0].result]
    return out


def read_back(nr: Nornir, wanted: Sequence[Scoped]) -> list[etree._Element | str]:
    """For each entry, the `<data>` element its filter returned, or the error text for its device."""
    filters: dict[str, list[str]] = {}
    for want in wanted:
        filters.setdefault(want.device, []).append(etree.tostring(want.filter, encoding="unicode"))
    replies = read_filters(nr, filters)
    position = dict.fromkeys(filters, 0)
    out: list[etree._Element | str] = []
    for want in wanted:
        reply = replies[want.device]
        if isinstance(reply, str):
            out.append(reply)
            continue
        out.append(reply[position[want.device]])
        position[want.device] += 1
    return out
