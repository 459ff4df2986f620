"""KPI baselines right after provisioning: a short gNMI Subscribe window, then thresholds.

``check_baselines(targets, checks, window_s)`` subscribes (STREAM, SAMPLE) to every check's path on
its device for ``window_s`` seconds, waits for the initial sync, collects the samples and returns the
problems (empty: pass). A window of 0 (the values at the initial sync) is read with one gNMI Get
instead, which gives the same values for less CPU on both ends; when the Get's answer could differ
(a path without data, a subtree, a Get the target refuses) the Subscribe decides as before.
It is synchronous, for the order executor's post-check (a worker thread); ``check_baselines_async``
is the same inside a running loop.

Checks come from a resource specification's ``postChecks.kpis`` (see ``checks_from_spec``)::

    postChecks:
      window: 3                      # seconds (the executor may pass its own)
      kpis:
        - name: slice-latency
          path: "*/kpis/slice/latency"        # {characteristic} placeholders are filled
          device: "{device}"                  # default: the item's device
          op: "<="                            # < <= > >= against threshold
          threshold: 15
          aggregate: max                      # max | min | mean | last over the window
        - {name: oper-up, path: "interfaces/interface[name={interface}]/state/oper-status", equals: UP}
        - {name: bgp, path: ".../neighbor[neighbor-address={peer}]/state/session-state", equals: ESTABLISHED}
        - {name: traffic, path: "interfaces/interface[name={interface}]/state/counters/in-octets",
           increasing: true}
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import operator
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import grpc
from pygnmi.spec.v080 import gnmi_pb2, gnmi_pb2_grpc

from drivers.grpc_tls import GrpcTls, HasGnmiTls, aio_channel
from telemetry.events import as_number, decode_value, matches, split_path
from telemetry.subscriptions import PathSpec, Subscription, address, build_request, to_path

log = logging.getLogger(__name__)
OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
AGGREGATES: dict[str, Callable[[list[float]], float]] = {
    "max": max,
    "min": min,
    "mean": lambda xs: sum(xs) / len(xs),
    "last": lambda xs: xs[-1],
}


class Target(HasGnmiTls, Protocol):
    """A device to check, dialled with its gNMI TLS settings (``drivers.base.DeviceTarget`` fits)."""

    @property
    def name(self) -> str: ...
    @property
    def host(self) -> str: ...
    @property
    def username(self) -> str: ...
    @property
    def password(self) -> str: ...
    @property
    def gnmi_port(self) -> int | None: ...


@dataclass(frozen=True)
class KpiCheck:
    """One threshold on one path of one device (``device`` None: every target)."""

    name: str
    path: str
    device: str | None = None
    op: str | None = None
    threshold: float | None = None
    aggregate: str = "max"
    equals: str | None = None
    increasing: bool = False

    def __post_init__(self) -> None:
        if self.op is not None and (self.op not in OPS or self.threshold is None):
            raise ValueError(f"check {self.name}: op must be one of {sorted(OPS)} with a threshold")
        if self.aggregate not in AGGREGATES:
            raise ValueError(f"check {self.name}: aggregate must be one of {sorted(AGGREGATES)}")
        if self.op is None and self.equals is None and not self.increasing:
            raise ValueError(f"check {self.name}: needs op+threshold, equals or increasing")


def checks_from_spec(
    post_checks: Mapping[str, Any] | None, values: Mapping[str, Any], device: str
) -> list[KpiCheck]:
    """The checks of one order item: the spec's ``postChecks.kpis`` with its characteristics filled."""
    filled: list[KpiCheck] = []
    context = {"device": device, **values}
    for raw in (post_checks or {}).get("kpis") or []:
        entry = dict(raw)
        entry["path"] = str(entry["path"]).format_map(context)
        entry["device"] = str(entry.get("device", "{device}")).format_map(context)
        if entry.get("equals") is not None:
            entry["equals"] = str(entry["equals"])
        if entry.get("threshold") is not None:
            entry["threshold"] = float(entry["threshold"])
        filled.append(KpiCheck(**entry))
    return filled


def evaluate(check: KpiCheck, samples: Mapping[str, list[Any]]) -> list[str]:
    """Problems of one check given the samples per value path (pure)."""
    if not samples:
        return [f"{check.device}: {check.name}: no data for {check.path}"]
    problems = []
    for path, series in sorted(samples.items()):
        where = f"{check.device}: {check.name} {path}"
        if check.equals is not None:
            wrong = [v for v in series if str(v) != check.equals]
            if wrong:
                problems.append(f"{where} is {wrong[-1]!r}, expected {check.equals!r}")
            continue
        numbers = [n for n in (as_number(v) for v in series) if n is not None]
        if not numbers:
            problems.append(f"{where}: no numeric samples")
            continue
        if check.increasing:
            if len(numbers) < 2 or numbers[-1] <= numbers[0]:
                problems.append(f"{where} did not increase ({numbers[0]:g} -> {numbers[-1]:g})")
            continue
        value = AGGREGATES[check.aggregate](numbers)
        assert check.op is not None and check.threshold is not None
        if not OPS[check.op](value, check.threshold):
            problems.append(f"{where}: {check.aggregate} {value:g} not {check.op} {check.threshold:g}")
    return problems


SYNC_TIMEOUT_S = 10.0


ChannelFor = Callable[[str, GrpcTls | None], contextlib.AbstractAsyncContextManager[grpc.aio.Channel]]


@contextlib.asynccontextmanager
async def _own_channel(where: str, tls: GrpcTls | None) -> AsyncIterator[grpc.aio.Channel]:
    async with aio_channel(where, tls) as channel:
        yield channel


_SHARED: dict[tuple[Any, ...], grpc.aio.Channel] = {}  # touched on `_loop()` only


@contextlib.asynccontextmanager
async def _shared_channel(where: str, tls: GrpcTls | None) -> AsyncIterator[grpc.aio.Channel]:
    """The synchronous path's channels, kept open on its one loop: an order's baseline does not
    pay a TCP + HTTP/2 set-up per device (gRPC reconnects a channel whose device went away)."""
    files = [f for f in ((tls.ca, tls.cert, tls.key) if tls else ()) if f]
    key = (where, tls, tuple(os.stat(f).st_mtime_ns if os.path.exists(f) else None for f in files))
    found = _SHARED.get(key)
    if found is None:
        found = _SHARED[key] = aio_channel(where, tls)
    yield found


async def _samples(
    target: Target,
    checks: Sequence[KpiCheck],
    window_s: float,
    channel_for: ChannelFor = _own_channel,
    snapshot: bool = True,
) -> dict[str, dict[str, list[Any]]]:
    """Per check name: per value path, the samples seen over the window. A window of 0 wants the
    values at the initial sync only: one Get reads them (`snapshot`), unless it cannot answer as
    the Subscribe would (see `_got`); then the Subscribe does."""
    if window_s <= 0 and snapshot:
        found = await _got(target, checks, channel_for)
        if found is not None:
            return found
    return await _subscribed(target, checks, window_s, channel_for)


def _metadata(target: Target) -> tuple[tuple[str, str], ...]:
    return (("username", target.username), ("password", target.password))


# Get answers the Subscribe would not give: a concrete path without data (NOT_FOUND on the
# simulators and some targets; the Subscribe sends nothing for it), a wildcard or path form the
# target's Get refuses (INVALID_ARGUMENT) or no Get at all (UNIMPLEMENTED).
ASK_THE_SUBSCRIBE = frozenset(
    {grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.UNIMPLEMENTED}
)


async def _got(
    target: Target, checks: Sequence[KpiCheck], channel_for: ChannelFor
) -> dict[str, dict[str, list[Any]]] | None:
    """The checks' values from one gNMI Get (one unary call: about half the CPU of a Subscribe
    cancelled after its sync, on both ends); None when the Get's answer may differ from the
    Subscribe's: an error in ASK_THE_SUBSCRIBE, or a value that is not a scalar leaf (a subtree
    comes back as one JSON object from a Get, leaf by leaf from a Subscribe)."""
    assert target.gnmi_port is not None
    request = gnmi_pb2.GetRequest(
        path=[to_path(check.path) for check in checks], encoding=gnmi_pb2.Encoding.JSON_IETF
    )
    async with channel_for(address(target.host, target.gnmi_port), GrpcTls.of(target)) as channel:
        try:
            response = await gnmi_pb2_grpc.gNMIStub(channel).Get(
                request, metadata=_metadata(target), timeout=SYNC_TIMEOUT_S
            )
        except grpc.aio.AioRpcError as e:
            if e.code() in ASK_THE_SUBSCRIBE:
                return None
            raise
    patterns = {check.name: split_path(check.path) for check in checks}
    found: dict[str, dict[str, list[Any]]] = {check.name: {} for check in checks}
    for notification in response.notification:
        if not _collect(notification, patterns, found, strict=True):
            return None
    return found


async def _subscribed(
    target: Target, checks: Sequence[KpiCheck], window_s: float, channel_for: ChannelFor
) -> dict[str, dict[str, list[Any]]]:
    """The samples of a Subscribe STREAM/SAMPLE: those up to the initial sync, then the window's."""
    assert target.gnmi_port is not None
    interval = max(0.05, window_s / 4)
    sub = Subscription(
        target.name,
        "baseline",
        address(target.host, target.gnmi_port),
        tuple(PathSpec(check.path, "sample", interval) for check in checks),
    )
    patterns = {check.name: split_path(check.path) for check in checks}
    found: dict[str, dict[str, list[Any]]] = {check.name: {} for check in checks}
    metadata = _metadata(target)

    synced = asyncio.Event()

    async def consume() -> None:
        async with channel_for(sub.address, GrpcTls.of(target)) as channel:
            call = gnmi_pb2_grpc.gNMIStub(channel).Subscribe(iter([build_request(sub)]), metadata=metadata)
            async for response in call:
                if response.WhichOneof("response") == "update":
                    _collect(response.update, patterns, found)
                elif response.sync_response:
                    synced.set()

    task = asyncio.ensure_future(consume())
    waiter = asyncio.ensure_future(synced.wait())
    try:
        # The values up to the initial sync always count; the window adds samples after it.
        await asyncio.wait({task, waiter}, timeout=SYNC_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # the stream ended or failed before its sync: raise that
        if synced.is_set() and window_s > 0:
            await asyncio.wait({task}, timeout=window_s)
            if task.done():
                task.result()
    finally:
        waiter.cancel()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, grpc.aio.AioRpcError):
            await task
    return found


def _collect(
    notification: gnmi_pb2.Notification,
    patterns: Mapping[str, list[tuple[str, dict[str, str]]]],
    found: dict[str, dict[str, list[Any]]],
    strict: bool = False,
) -> bool:
    """Add the notification's values to `found`; values that are not scalars or leaf-lists are
    skipped, or (`strict`) end the collection with False."""
    prefix = list(notification.prefix.elem) if notification.HasField("prefix") else []
    for update in notification.update:
        elems = [(e.name.split(":", 1)[-1], dict(e.key)) for e in [*prefix, *update.path.elem]]
        try:
            value = decode_value(update.val)
        except ValueError:
            if strict:
                return False
            continue
        keyed = "/" + "/".join(
            n + "".join(f"[{k}={v}]" for k, v in sorted(keys.items())) for n, keys in elems
        )
        for name, pattern in patterns.items():
            if matches(pattern, elems):
                found[name].setdefault(keyed, []).append(value)
    return True


async def check_baselines_async(
    targets: Iterable[Target],
    checks: Sequence[KpiCheck],
    window_s: float,
    channel_for: ChannelFor = _own_channel,
    snapshot: bool = True,
) -> list[str]:
    """Like ``check_baselines``, inside a running loop; devices are checked concurrently.
    `channel_for`: how a device's channel is had (default: one of its own, closed after);
    `snapshot` False: a window of 0 too is read with the Subscribe, not a Get (see `_samples`)."""
    by_name = {target.name: target for target in targets}
    plan: dict[str, list[KpiCheck]] = {}
    problems: list[str] = []
    for check in checks:
        names = [check.device] if check.device else list(by_name)
        for name in names:
            target = by_name.get(name)
            if target is None or target.gnmi_port is None:
                problems.append(f"{name}: {check.name}: device has no gNMI endpoint")
                continue
            plan.setdefault(name, []).append(KpiCheck(**{**check.__dict__, "device": name}))
    names = list(plan)
    results = await asyncio.gather(
        *(_samples(by_name[n], plan[n], window_s, channel_for, snapshot) for n in names),
        return_exceptions=True,
    )
    for name, result in zip(names, results, strict=True):
        if isinstance(result, BaseException):
            detail = (
                f"{result.code().name}: {result.details()}"
                if isinstance(result, grpc.aio.AioRpcError)
                else repr(result)
            )
            tls = GrpcTls.of(by_name[name])
            hint = f" ({tls.describe()})" if tls and isinstance(result, grpc.aio.AioRpcError) else ""
            problems.append(f"{name}: KPI baseline subscription failed: {detail}{hint}")
            continue
        for check in plan[name]:
            problems.extend(evaluate(check, result[check.name]))
    return problems


def check_baselines(
    targets: Iterable[Target], checks: Sequence[KpiCheck], window_s: float = 3.0, *, snapshot: bool = True
) -> list[str]:
    """KPI baselines over a ``window_s`` window (0: one Get, see `_samples`); the problems (empty: pass).
    Synchronous: call it from a thread without a running event loop (the executor's post-check)."""
    if not checks:
        return []
    baselines = check_baselines_async(list(targets), checks, window_s, _shared_channel, snapshot)
    future = asyncio.run_coroutine_threadsafe(baselines, _loop())
    return future.result()


_LOOP: asyncio.AbstractEventLoop | None = None
_LOOP_LOCK = threading.Lock()


def _loop() -> asyncio.AbstractEventLoop:
    """One event loop for every synchronous caller: grpc.aio binds its poller to the first loop it
    meets, so a fresh `asyncio.run` per check would leave it polling a closed loop."""
    global _LOOP
    with _LOOP_LOCK:
        if _LOOP is None:
            _LOOP = asyncio.new_event_loop()
            threading.Thread(target=_LOOP.run_forever, name="rom-kpi-baselines", daemon=True).start()
        return _LOOP
