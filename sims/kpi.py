"""Deterministic KPIs of simulated RAN cells, slices and 5G core functions (pure).

Given the configuration (PRB capacity, RRM policy ratios, UPF capacity), a time ``t`` (seconds of
uptime), a seed (the device name) and ``Conditions`` (injected load and degradations), the values
are fully determined: a slow sine per seed and slice makes them move without randomness.

Traffic model: each slice demands a share of a cell's PRBs by slice type (eMBB 60 %, URLLC 15 %,
MIoT 5 %, times the load). A slice is served only through an RRM policy: it gets its dedicated and
minimum share first, then spare PRBs up to its maximum ratio. Throughput follows the PRBs it gets;
latency grows when demand exceeds what it gets. No policy, no slice traffic.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

MBPS_PER_PRB = 5.5  # downlink, ~1.5 Gbit/s over 273 PRBs (100 MHz, 30 kHz SCS)
UL_DEMAND_SHARE = 0.4
UL_MBPS_PER_PRB = 2.5
MAX_CONGESTION = 20.0
ALL = "*"


@dataclass(frozen=True)
class SliceProfile:
    """Typical demand of one slice type: PRB share of a cell, connected UEs, base latency (ms)."""

    demand: float
    ues: float
    latency_ms: float
    sessions_per_dnn: float


PROFILES: dict[int, SliceProfile] = {
    1: SliceProfile(0.60, 40.0, 8.0, 400.0),  # eMBB
    2: SliceProfile(0.15, 10.0, 2.0, 50.0),  # URLLC
    3: SliceProfile(0.05, 200.0, 20.0, 1000.0),  # MIoT
}


def profile(sst: int) -> SliceProfile:
    """The profile of a slice/service type (unknown types behave like eMBB)."""
    return PROFILES.get(sst, PROFILES[1])


def slice_key(sst: int, sd: str) -> str:
    """The canonical name of an S-NSSAI: ``"<sst>-<SD>"``, e.g. ``"1-000001"``."""
    return f"{sst}-{sd.strip().upper() or 'FFFFFF'}"


@dataclass(frozen=True)
class Conditions:
    """Injected load and degradations for one device; maps are keyed by slice key or ``"*"``."""

    load: float = 1.0
    slice_load: Mapping[str, float] = field(default_factory=dict)
    extra_latency_ms: Mapping[str, float] = field(default_factory=dict)
    throughput_factor: Mapping[str, float] = field(default_factory=dict)

    def load_for(self, key: str) -> float:
        """Demand multiplier of one slice."""
        return self.load * self.slice_load.get(ALL, 1.0) * self.slice_load.get(key, 1.0)

    def latency_for(self, key: str) -> float:
        """Extra latency (ms) of one slice."""
        return self.extra_latency_ms.get(ALL, 0.0) + self.extra_latency_ms.get(key, 0.0)

    def factor_for(self, key: str) -> float:
        """Throughput multiplier (0..1) of one slice."""
        return self.throughput_factor.get(ALL, 1.0) * self.throughput_factor.get(key, 1.0)


def wobble(seed: str, t: float, depth: float = 0.1, period: float = 300.0) -> float:
    """A deterministic slow variation around 1.0 (within ±depth)."""
    phase = (zlib.crc32(seed.encode()) % 3600) / 3600 * 2 * math.pi
    return 1.0 + depth * math.sin(2 * math.pi * t / period + phase)


@dataclass(frozen=True)
class SlicePolicy:
    """One S-NSSAI's PRB ratios (percent) on one cell."""

    sst: int
    sd: str
    max_ratio: float = 100.0
    min_ratio: float = 0.0
    dedicated_ratio: float = 0.0

    @property
    def key(self) -> str:
        return slice_key(self.sst, self.sd)


@dataclass(frozen=True)
class CellSpec:
    """What the KPIs of one cell depend on."""

    name: str
    prb_capacity: int
    enabled: bool = True
    policies: tuple[SlicePolicy, ...] = ()


@dataclass(frozen=True)
class SliceKpis:
    """Per-slice values on a cell, or summed over a gNB's cells."""

    key: str
    sst: int
    sd: str
    prb_used_dl: float
    prb_used_ul: float
    throughput_dl_mbps: float
    throughput_ul_mbps: float
    latency_ms: float
    ues: float


@dataclass(frozen=True)
class CellKpis:
    """TS 28.552 measurements of one cell, plus its slices."""

    name: str
    enabled: bool
    prb_used_dl: float
    prb_used_ul: float
    prb_avail_dl: float
    ue_thp_dl_kbps: float
    ue_thp_ul_kbps: float
    rlc_sdu_delay_dl_ms: float
    rrc_conn_mean: float
    rrc_conn_max: int
    slices: tuple[SliceKpis, ...] = ()

    def measurements(self) -> dict[str, str]:
        """Measurement name (TS 28.552) -> value text."""
        return {
            "RRU.PrbUsedDl": _num(self.prb_used_dl),
            "RRU.PrbUsedUl": _num(self.prb_used_ul),
            "RRU.PrbAvailDl": _num(self.prb_avail_dl),
            "DRB.UEThpDl": _num(self.ue_thp_dl_kbps),
            "DRB.UEThpUl": _num(self.ue_thp_ul_kbps),
            "DRB.RlcSduDelayDl": _num(self.rlc_sdu_delay_dl_ms),
            "RRC.ConnMean": _num(self.rrc_conn_mean),
            "RRC.ConnMax": str(self.rrc_conn_max),
        }


def _num(value: float) -> str:
    return f"{value:.2f}"


def allocate(capacity: float, demands: Sequence[float], policies: Sequence[SlicePolicy]) -> list[float]:
    """PRBs each slice gets: dedicated/min share first, then spare PRBs up to each max ratio."""
    guaranteed = [
        min(demand, max(p.min_ratio, p.dedicated_ratio) / 100 * capacity)
        for demand, p in zip(demands, policies, strict=True)
    ]
    reserved = [max(g, p.dedicated_ratio / 100 * capacity) for g, p in zip(guaranteed, policies, strict=True)]
    total = sum(reserved)
    scale = capacity / total if total > capacity else 1.0
    alloc = [g * scale for g in guaranteed]
    free = capacity - total * scale
    wants = [
        max(0.0, min(demand, p.max_ratio / 100 * capacity) - a)
        for demand, p, a in zip(demands, policies, alloc, strict=True)
    ]
    wanted = sum(wants)
    if free > 0 and wanted > 0:
        share = min(1.0, free / wanted)
        alloc = [a + w * share for a, w in zip(alloc, wants, strict=True)]
    return alloc


def _latency(base: float, demand: float, got: float) -> float:
    if demand <= 0:
        return base
    if got <= 0:
        return base * MAX_CONGESTION
    return base * min(MAX_CONGESTION, 1.0 + 3.0 * max(0.0, demand / got - 1.0))


def cell_kpis(cell: CellSpec, t: float, seed: str, conditions: Conditions | None = None) -> CellKpis:
    """The KPIs of one cell at time ``t``."""
    cond = conditions or Conditions()
    capacity = float(cell.prb_capacity)
    if not cell.enabled or capacity <= 0:
        return CellKpis(cell.name, False, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0)
    policies = list(cell.policies)
    demands = [
        capacity * profile(p.sst).demand * cond.load_for(p.key) * wobble(f"{seed}/{cell.name}/{p.key}", t)
        for p in policies
    ]
    dl = allocate(capacity, demands, policies)
    ul = allocate(capacity, [d * UL_DEMAND_SHARE for d in demands], policies)
    slices: list[SliceKpis] = []
    for p, demand, got_dl, got_ul in zip(policies, demands, dl, ul, strict=True):
        prof = profile(p.sst)
        factor = max(0.0, cond.factor_for(p.key))
        ues = prof.ues * cond.load_for(p.key) * wobble(f"{seed}/{cell.name}/{p.key}/ue", t, 0.2, 120.0)
        latency = _latency(prof.latency_ms, demand, got_dl * factor) + cond.latency_for(p.key)
        slices.append(
            SliceKpis(
                p.key,
                p.sst,
                p.sd.upper(),
                got_dl,
                got_ul,
                got_dl * MBPS_PER_PRB * factor,
                got_ul * UL_MBPS_PER_PRB * factor,
                latency,
                ues,
            )
        )
    return _cell_from_slices(cell.name, capacity, slices)


def _cell_from_slices(name: str, capacity: float, slices: list[SliceKpis]) -> CellKpis:
    used_dl = sum(s.prb_used_dl for s in slices)
    used_ul = sum(s.prb_used_ul for s in slices)
    ues = sum(s.ues for s in slices)
    thp_dl = sum(s.throughput_dl_mbps for s in slices)
    thp_ul = sum(s.throughput_ul_mbps for s in slices)
    weight = sum(s.throughput_dl_mbps for s in slices)
    delay = (
        sum(s.latency_ms * s.throughput_dl_mbps for s in slices) / weight
        if weight > 0
        else (sum(s.latency_ms for s in slices) / len(slices) if slices else 0.0)
    )
    return CellKpis(
        name,
        True,
        used_dl,
        used_ul,
        max(0.0, capacity - used_dl),
        thp_dl * 1000 / ues if ues > 0 else 0.0,
        thp_ul * 1000 / ues if ues > 0 else 0.0,
        delay,
        ues,
        math.ceil(ues * 1.25),
        tuple(slices),
    )


def slice_totals(cells: Sequence[CellKpis]) -> list[SliceKpis]:
    """Per-slice values over many cells: PRBs, throughput and UEs summed, latency the worst."""
    merged: dict[str, SliceKpis] = {}
    for cell in cells:
        for s in cell.slices:
            seen = merged.get(s.key)
            merged[s.key] = (
                s
                if seen is None
                else SliceKpis(
                    s.key,
                    s.sst,
                    s.sd,
                    seen.prb_used_dl + s.prb_used_dl,
                    seen.prb_used_ul + s.prb_used_ul,
                    seen.throughput_dl_mbps + s.throughput_dl_mbps,
                    seen.throughput_ul_mbps + s.throughput_ul_mbps,
                    max(seen.latency_ms, s.latency_ms),
                    seen.ues + s.ues,
                )
            )
    return [merged[key] for key in sorted(merged)]


@dataclass(frozen=True)
class CoreSlice:
    """One S-NSSAI served by a 5G core function, with its number of DNNs."""

    sst: int
    sd: str
    dnns: int = 1

    @property
    def key(self) -> str:
        return slice_key(self.sst, self.sd)


@dataclass(frozen=True)
class SessionKpis:
    """PDU sessions of a core function: total, per slice, refused for lack of capacity."""

    total: int
    per_slice: dict[str, int]
    rejected: int
    latency_ms: dict[str, float]


def session_kpis(
    slices: Sequence[CoreSlice],
    t: float,
    seed: str,
    conditions: Conditions | None = None,
    max_sessions: int | None = None,
    enabled: bool = True,
) -> SessionKpis:
    """Sessions demanded per slice (by type, DNNs and load), capped by ``max_sessions``."""
    cond = conditions or Conditions()
    if not enabled:
        return SessionKpis(0, {s.key: 0 for s in slices}, 0, {})
    demand = {
        s.key: profile(s.sst).sessions_per_dnn * s.dnns * cond.load_for(s.key) * wobble(f"{seed}/{s.key}", t)
        for s in slices
    }
    wanted = sum(demand.values())
    scale = 1.0 if max_sessions is None or wanted <= max_sessions else max_sessions / wanted
    per_slice = {key: math.floor(value * scale) for key, value in demand.items()}
    total = sum(per_slice.values())
    utilisation = total / max_sessions if max_sessions else 0.0
    latency = {
        s.key: 1.0 * (1.0 + 4.0 * max(0.0, utilisation - 0.8)) + cond.latency_for(s.key) for s in slices
    }
    rejected = 0 if scale == 1.0 else max(0, round(wanted) - total)
    return SessionKpis(total, per_slice, rejected, latency)
