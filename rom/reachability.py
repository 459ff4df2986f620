"""Reachability post-checks: the specs' ``postChecks.reachability``, probed from the devices.

A check names, with ``{characteristic}`` placeholders, the device a probe starts from (``from``),
the address it pings (``to``) and the network instance (``networkInstance``); ``pairs: mesh`` pairs
each item of the spec in the order with every other item of the same ``group`` (an L3VPN's
endpoints of one VRF), ``pairs: each`` makes one probe per item (``peer`` names the device holding
``to``, for the note); ``from`` may name a device other than the item's (the 5G slice: the gNB-side
PE to the UPF's N3 address), and an entry whose ``from`` or ``to`` is empty in an item (an optional
characteristic left out) makes no probe. ``count`` probes are sent; the check passes when loss <=
``maxLossPercent`` and the largest round trip <= ``maxRttMs``.

How a device probes is its platform's business (``templates/reachability/platforms.yaml``): gNOI
System.Ping on the gNMI endpoint, or a NETCONF RPC (``drivers.netconf_ping``). Probes run in
parallel, one thread each; a failing gNOI pair is traced (System.Traceroute) for the order's note.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, StrictUndefined, Template

from core.errors import EXPECTED, RomError
from drivers.base import DeviceTarget
from drivers.gnoi import GnoiClient, PingResult
from drivers.netconf_ping import ReplyParser, netconf_ping
from intent.catalog import TEMPLATES_DIR
from intent.planner import PlannedItem
from inventory.context import Context
from inventory.records import list_devices

log = logging.getLogger(__name__)
PLATFORMS_FILE = TEMPLATES_DIR / "reachability" / "platforms.yaml"
MAX_THREADS = 32


@dataclass(frozen=True)
class Probe:
    """One pair to check: from ``device`` to ``destination`` inside ``network_instance``."""

    check: str
    device: str
    destination: str
    network_instance: str
    count: int = 3
    max_loss_percent: float = 0.0
    max_rtt_ms: float | None = None
    peer: str = ""  # the device holding `destination`, when the order knows it

    @property
    def pair(self) -> str:
        peer = f" ({self.peer})" if self.peer else ""
        return f"{self.device} -> {self.destination}{peer} in {self.network_instance or 'default'}"


@dataclass(frozen=True)
class PlatformProbe:
    """How one platform probes: ``gnoi`` or ``netconf``, and its NETCONF RPC when it has one."""

    method: str = "gnoi"
    template: Path | None = None
    reply: ReplyParser | None = None


def _fill(text: Any, values: Mapping[str, Any]) -> str:
    return str(text).format_map(values)


def probes_for(items: Iterable[PlannedItem]) -> list[Probe]:
    """The probes the specs of ``items`` (added or modified) declare (pure), without duplicates."""
    items = [i for i in items if i.action in ("add", "modify")]
    probes: list[Probe] = []
    for item in items:
        for raw in item.spec.post_checks.get("reachability") or []:
            context = {"device": item.device, **item.values}
            source = _fill(raw.get("from", "{device}"), context)
            vrf = _fill(raw.get("networkInstance", ""), context)
            base = Probe(
                check=str(raw["name"]),
                device=source,
                destination="",
                network_instance=vrf,
                count=int(raw.get("count", 3)),
                max_loss_percent=float(raw.get("maxLossPercent", 0)),
                max_rtt_ms=float(raw["maxRttMs"]) if raw.get("maxRttMs") is not None else None,
            )
            if not source:
                continue
            if raw.get("pairs", "each") != "mesh":
                destination = _fill(raw["to"], context)
                if destination:
                    peer = _fill(raw.get("peer", ""), context)
                    probes.append(replace(base, destination=destination, peer=peer))
                continue
            group = _fill(raw.get("group", ""), context)
            for other in items:
                if other is item or other.spec.id != item.spec.id:
                    continue
                theirs = {"device": other.device, **other.values}
                if _fill(raw.get("group", ""), theirs) == group:
                    peer = _fill(raw.get("from", "{device}"), theirs)
                    probes.append(replace(base, destination=_fill(raw["to"], theirs), peer=peer))
    return list(dict.fromkeys(probes))


def verdict(probe: Probe, result: PingResult) -> str | None:
    """Why ``result`` fails ``probe`` (None: it passes), naming the pair, the loss and the path (pure)."""
    reasons = []
    if result.loss_percent > probe.max_loss_percent:
        reasons.append(
            f"{result.loss_percent:g}% loss ({result.received}/{result.sent} answered, "
            f"at most {probe.max_loss_percent:g}% allowed)"
        )
    elif probe.max_rtt_ms is not None and result.max_ms > probe.max_rtt_ms:
        reasons.append(f"max RTT {result.max_ms:.3f} ms > {probe.max_rtt_ms:g} ms")
    if not reasons:
        return None
    extra = f"; path {' > '.join(result.path)}" if result.path else ""
    said = f"; device says: {result.reason}" if result.reason else ""
    return f"reachability {probe.check} {probe.pair}: {', '.join(reasons)}{extra}{said}"


def summary(probe: Probe, result: PingResult) -> str:
    """One line for the order's record (pure)."""
    return result_line({"check": probe.check, "pair": probe.pair, **result.to_dict()})


def result_line(found: Mapping[str, Any]) -> str:
    """One line for a probe's recorded result (the step log's, the audit entry's; pure); a probe
    that could not run says its problem."""
    head = f"reachability {found.get('check', '')} {found.get('pair', '')}"
    if "sent" not in found:
        return f"{head}: {found.get('problem') or 'no result'}"
    return (
        f"{head}: {found['received']}/{found['sent']} answered, {found['lossPercent']:g}% loss, "
        f"max RTT {found['maxRttMs']:.3f} ms (via {found['via']})"
    )


def load_platforms(path: Path = PLATFORMS_FILE) -> dict[str, PlatformProbe]:
    """The platforms' probe methods from the catalog (read again only when the file changes)."""
    stat = path.stat()
    return _platforms(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _platforms(path: Path, _mtime_ns: int, _size: int) -> dict[str, PlatformProbe]:
    raw = yaml.safe_load(path.read_text()) or {}
    out: dict[str, PlatformProbe] = {}
    for platform, entry in raw.items():
        netconf = entry.get("netconf") or {}
        reply = netconf.get("reply")
        out[platform] = PlatformProbe(
            method=str(entry.get("method", "gnoi")),
            template=path.parent / netconf["template"] if netconf.get("template") else None,
            reply=ReplyParser(
                success=reply["success"],
                namespaces=reply.get("namespaces") or {},
                reason=reply.get("reason"),
                hops=reply.get("hops"),
                sent=reply.get("sent"),
                received=reply.get("received"),
                avg_rtt_ms=reply.get("avgRttMs"),
            )
            if reply
            else None,
        )
    return out


@lru_cache(maxsize=32)
def _compiled(template: Path, _mtime_ns: int) -> Template:
    env = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    return env.from_string(template.read_text())


def _render(template: Path, probe: Probe) -> str:
    return _compiled(template, template.stat().st_mtime_ns).render(
        destination=probe.destination, networkInstance=probe.network_instance, count=probe.count, source=""
    )


def start_ping(
    target: DeviceTarget, probe: Probe, platform: PlatformProbe | None = None
) -> tuple[Callable[[], PingResult], bool]:
    """Start one probe from ``target`` the way its platform does: (the function that gives its
    result, whether that function does the work rather than wait for it). A gNOI ping is sent at
    once and gRPC carries it, so many wait in one thread; a failing gNOI pair is traced when its
    result comes. A NETCONF ping RPC is run by the returned function (give it a thread)."""
    platform = platform or PlatformProbe()
    use_gnoi = platform.method == "gnoi" and (target.gnmi_port is not None or platform.reply is None)
    if not use_gnoi:
        if platform.template is None or platform.reply is None:
            raise RomError(
                f"{target.name}: platform {target.platform!r} has no NETCONF ping RPC in the catalog"
            )
        rpc, reply = _render(platform.template, probe), platform.reply
        args = (probe.destination, probe.network_instance, probe.count)
        return (lambda: netconf_ping(target, rpc, reply, *args)), True
    client = GnoiClient(target, shared=True)
    answer = client.start_ping(probe.destination, probe.network_instance, probe.count)

    def result() -> PingResult:
        found = answer()
        if verdict(probe, found) is None:
            return found
        try:
            hops = client.traceroute(probe.destination, probe.network_instance, max_ttl=16)
        except EXPECTED as exc:  # the path is a courtesy: its absence must not hide the loss
            log.info("%s: traceroute to %s failed: %s", target.name, probe.destination, exc)
            return found
        return replace(found, path=(target.name, *(h.name or h.address for h in hops)))

    return result, False


def ping(target: DeviceTarget, probe: Probe, platform: PlatformProbe | None = None) -> PingResult:
    """Run one probe from ``target`` the way its platform does (see `start_ping`)."""
    wait, _ = start_ping(target, probe, platform)
    return wait()


Outcome = tuple[Probe, PingResult | None, str | None]
Pinger = Callable[[DeviceTarget, Probe, PlatformProbe | None], PingResult]


def _given(outcome: Outcome) -> Outcome:
    return outcome


def start_probes(
    targets: Mapping[str, DeviceTarget],
    probes: list[Probe],
    platforms: Mapping[str, PlatformProbe] | None = None,
    pinger: Pinger | None = None,
) -> Callable[[], list[Outcome]]:
    """Start every probe now, all in parallel (gNOI: sent from this thread; NETCONF RPCs and a
    given `pinger`: a thread each); the returned function waits for their (probe, result, problem).
    A probe that could not run (no target, transport error) has no result and its error as the problem."""
    platforms = platforms if platforms is not None else load_platforms()

    def failed(probe: Probe, exc: Exception) -> Outcome:
        return probe, None, f"reachability {probe.check} {probe.pair}: probe failed: {exc}"

    def outcome(probe: Probe, wait: Callable[[], PingResult]) -> Outcome:
        try:
            result = wait()
        except EXPECTED as exc:
            return failed(probe, exc)
        return probe, result, verdict(probe, result)

    waits: list[Callable[[], Outcome]] = []
    working: list[int] = []  # the waits that do the work: each in a thread of its own
    for probe in probes:
        target = targets.get(probe.device)
        if target is None:
            problem = f"reachability {probe.check} {probe.pair}: {probe.device} is not in the inventory"
            waits.append(partial(_given, (probe, None, problem)))
            continue
        platform = platforms.get(target.platform)
        try:
            if pinger is None:
                wait, works = start_ping(target, probe, platform)
            else:
                wait, works = partial(pinger, target, probe, platform), True
        except EXPECTED as exc:
            waits.append(partial(_given, failed(probe, exc)))
            continue
        waits.append(partial(outcome, probe, wait))
        if works:
            working.append(len(waits) - 1)
    if not working:
        return lambda: [wait() for wait in waits]
    pool = ThreadPoolExecutor(max_workers=min(len(working), MAX_THREADS), thread_name_prefix="rom-probe")
    running = {i: pool.submit(waits[i]) for i in working}
    pool.shutdown(wait=False)  # the threads end with their probes

    def finish() -> list[Outcome]:
        return [running[i].result() if i in running else wait() for i, wait in enumerate(waits)]

    return finish


def run_probes(
    targets: Mapping[str, DeviceTarget],
    probes: list[Probe],
    platforms: Mapping[str, PlatformProbe] | None = None,
    pinger: Pinger | None = None,
) -> list[Outcome]:
    """Every probe in parallel (see `start_probes`), waited for."""
    return start_probes(targets, probes, platforms, pinger)()


@dataclass(frozen=True)
class Probed:
    """What an order's reachability post-check found: its problems (empty: pass), one summary line
    per answered probe for the order's note, and the ``reachability`` step's detail for its step
    log (None: nothing was probed). The caller records the step with its next write."""

    problems: list[str] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    step: dict[str, Any] | None = None


def start_checks(
    ctx: Context, items: list[PlannedItem], known: Mapping[str, DeviceTarget] | None = None
) -> Callable[[], Probed]:
    """Start the reachability post-check of an order's applied items (the L3VPN's VRF mesh, the 5G
    slice core's gNB-side PE -> UPF N3 address) now; the returned function waits for its findings.
    `known`: targets the caller has already read (the order's participants); only the other
    probing devices are read from the inventory."""
    probes = probes_for(items)
    if not probes or not ctx.settings.reachability_checks:
        return Probed  # nothing to wait for: no findings
    targets = dict(known or {})
    missing = sorted({p.device for p in probes} - set(targets))
    if missing:  # e.g. the slice's gNB-side PE, which the slice's own items do not configure
        with ctx.sessions() as session:
            targets.update((d.name, ctx.target(d)) for d in list_devices(session, missing))
    waiting = start_probes(targets, probes)

    def findings() -> Probed:
        outcomes = waiting()
        results = [
            {"check": p.check, "pair": p.pair, **(r.to_dict() if r else {}), "problem": problem}
            for p, r, problem in outcomes
        ]
        return Probed(
            problems=[problem for _, _, problem in outcomes if problem],
            remarks=[summary(probe, result) for probe, result, _ in outcomes if result is not None],
            step={"results": results},
        )

    return findings


def check_order(
    ctx: Context, items: list[PlannedItem], known: Mapping[str, DeviceTarget] | None = None
) -> Probed:
    """The reachability post-check of an order's applied items, waited for (see `start_checks`)."""
    return start_checks(ctx, items, known)()


def ping_device(
    ctx: Context, device: str, destination: str, network_instance: str = "", count: int = 3
) -> tuple[Probe, PingResult | None, str | None]:
    """One probe from an inventory device, exactly as the post-check runs it (``rom device ping``)."""
    probe = Probe("ping", device, destination, network_instance, count=count)
    with ctx.sessions() as session:
        targets = {d.name: ctx.target(d) for d in list_devices(session, [device])}
    [outcome] = run_probes(targets, [probe])
    return outcome
