"""Nornir tasks over the `rom` connection; exceptions propagate so Nornir marks the host failed."""

from __future__ import annotations

from collections.abc import Mapping

from nornir.core.task import Result, Task

from drivers.nornir_plugins import driver_of
from rom.errors import InvalidRequest


def stage(task: Task, payloads: Mapping[str, str]) -> Result:
    """Lock the candidate and load this host's payload (picked by host name)."""
    try:
        payload = payloads[task.host.name]
    except KeyError:
        raise InvalidRequest(f"{task.host.name}: no payload for this device") from None
    driver_of(task.host, task.nornir.config).stage(payload)
    return Result(host=task.host, changed=True, result="staged")


def commit(task: Task, confirm_timeout: int | None = None, persist_id: str | None = None) -> Result:
    """Commit the candidate; confirmed (reverting after `confirm_timeout` s) when a timeout is given."""
    driver_of(task.host, task.nornir.config).commit(confirm_timeout=confirm_timeout, persist_id=persist_id)
    return Result(host=task.host, changed=True, result="committed")


def confirm(task: Task, persist_id: str | None = None) -> Result:
    """Confirm a pending confirmed commit."""
    driver_of(task.host, task.nornir.config).confirm(persist_id=persist_id)
    return Result(host=task.host, changed=True, result="confirmed")


def rollback(task: Task, persist_id: str | None = None) -> Result:
    """Cancel a pending confirmed commit, discard the candidate, unlock (best effort)."""
    driver_of(task.host, task.nornir.config).rollback(persist_id=persist_id)
    return Result(host=task.host, changed=True, result="rolled back")


def get_config(task: Task, filter_xml: str | None = None) -> Result:
    """Running configuration as a `<data>` XML string."""
    data = driver_of(task.host, task.nornir.config).get_config(filter_xml)
    return Result(host=task.host, result=data)
