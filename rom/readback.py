"""Read resources back from their devices over the protocol each was written with, and compare.

The executor's read-back post-check and reconciliation both need this for gNMI resources too:
NETCONF/NAPALM intents are read with their subtree filter and compared by `inventory.diff`;
gNMI intents are read (Get CONFIG) at the paths their document sets or deletes and compared
leaf by leaf (`drivers.gnmi_payload.missing_or_changed`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

from lxml import etree
from nornir.core import Nornir
from nornir.core.task import Result, Task

from drivers.gnmi_payload import format_path, missing_or_changed, parse_document
from drivers.nornir_plugins import driver_of
from inventory.diff import Difference, compare
from rom.planner import Intended

Actual: TypeAlias = etree._Element | dict[str, Any] | str  # NETCONF <data>, gNMI {path: value}, or error


def _gnmi_filter(want: Intended) -> str:
    assert want.document is not None
    return json.dumps([format_path(p) for p in parse_document(want.document).touched()])


def _read(task: Task, wanted: Mapping[str, list[Intended]]) -> Result:
    out: list[str] = []
    for want in wanted[task.host.name]:
        protocol = "gnmi" if want.protocol == "gnmi" else "netconf"
        driver = driver_of(task.host, task.nornir.config, protocol)
        flt = _gnmi_filter(want) if protocol == "gnmi" else etree.tostring(want.filter, encoding="unicode")
        out.append(driver.get_config(flt))
    return Result(host=task.host, result=out)


def read_back(nr: Nornir, wanted: Sequence[Intended]) -> list[Actual]:
    """For each intent, in order: what its device holds there, or the error text."""
    per: dict[str, list[Intended]] = {}
    for want in wanted:
        per.setdefault(want.device, []).append(want)
    results = nr.filter(filter_func=lambda h: h.name in per).run(task=_read, wanted=per)
    position = dict.fromkeys(per, 0)
    out: list[Actual] = []
    for want in wanted:
        host = results.get(want.device)
        if host is None or host.failed:
            exc = host.exception if host is not None else None
            out.append(str(exc) if exc else "device not reachable")
            continue
        text = host[0].result[position[want.device]]
        position[want.device] += 1
        out.append(json.loads(text) if want.protocol == "gnmi" else etree.fromstring(text.encode()))
    return out


def differences(want: Intended, have: etree._Element | dict[str, Any]) -> list[Difference]:
    """What differs between an intent and what its device holds (pure)."""
    if want.protocol != "gnmi":
        assert isinstance(have, etree._Element)
        return compare(want.payload, have, want.filter)
    assert want.document is not None and isinstance(have, dict)
    found: list[Difference] = []
    for change in parse_document(want.document).changes:
        actual = have.get(change.text)
        if change.op == "delete":
            if actual is not None:
                found.append(Difference("unexpected", change.text, None, json.dumps(actual)[:200]))
            continue
        for kind, sub in missing_or_changed(change.value, actual):
            found.append(
                Difference("missing" if kind == "missing" else "changed", change.text + sub, None, None)
            )
    return sorted(found, key=lambda d: d.path)


def check_against_devices(nr: Nornir, intended: Sequence[Intended]) -> list[str]:
    """Read every intent back and compare; the problems found (empty: all as intended)."""
    problems = []
    for want, have in zip(intended, read_back(nr, intended), strict=True):
        if isinstance(have, str):
            problems.append(f"{want.device}: read-back failed: {have}")
            continue
        problems.extend(f"{want.device}: {d.kind} {d.path} after commit" for d in differences(want, have))
    return problems
