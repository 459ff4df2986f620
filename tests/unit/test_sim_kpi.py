"""KPI engine: configuration, load and degradation move the numbers, deterministically."""

from __future__ import annotations

from sims.kpi import (
    CellKpis,
    CellSpec,
    Conditions,
    CoreSlice,
    SliceKpis,
    SlicePolicy,
    allocate,
    cell_kpis,
    session_kpis,
    slice_totals,
)

EMBB = "000001"


def _embb_cell(max_ratio: float, **kwargs: float) -> CellSpec:
    return CellSpec("1", 273, True, (SlicePolicy(1, EMBB, max_ratio, **kwargs),))


def _slice(
    cell: CellSpec, conditions: Conditions | None = None, t: float = 42.0
) -> tuple[CellKpis, SliceKpis]:
    kpis = cell_kpis(cell, t, "gnb1", conditions)
    assert len(kpis.slices) == 1
    return kpis, kpis.slices[0]


def test_more_prb_share_gives_more_throughput_and_less_latency() -> None:
    _, narrow = _slice(_embb_cell(20))
    _, wide = _slice(_embb_cell(60))
    assert narrow.prb_used_dl <= 0.2 * 273 + 1e-9
    assert wide.throughput_dl_mbps > narrow.throughput_dl_mbps * 2
    assert wide.latency_ms < narrow.latency_ms


def test_no_policy_means_no_slice_traffic() -> None:
    kpis = cell_kpis(CellSpec("1", 273), 10.0, "gnb1")
    assert kpis.enabled and kpis.slices == ()
    measurements = kpis.measurements()
    assert measurements["RRU.PrbUsedDl"] == "0.00"
    assert measurements["RRU.PrbAvailDl"] == "273.00"
    assert measurements["RRC.ConnMean"] == "0.00"
    assert set(measurements) == {
        "RRU.PrbUsedDl",
        "RRU.PrbUsedUl",
        "RRU.PrbAvailDl",
        "DRB.UEThpDl",
        "DRB.UEThpUl",
        "DRB.RlcSduDelayDl",
        "RRC.ConnMean",
        "RRC.ConnMax",
    }


def test_degradation_adds_latency_and_cuts_throughput() -> None:
    cell = _embb_cell(100)
    _, healthy = _slice(cell)
    key = healthy.key
    _, degraded = _slice(cell, Conditions(extra_latency_ms={key: 25.0}, throughput_factor={key: 0.5}))
    assert degraded.latency_ms >= healthy.latency_ms + 25.0
    assert abs(degraded.throughput_dl_mbps - healthy.throughput_dl_mbps * 0.5) < 1e-6
    _, other = _slice(cell, Conditions(extra_latency_ms={"2-000002": 25.0}))
    assert other.latency_ms == healthy.latency_ms


def test_load_raises_prb_use_until_the_max_ratio() -> None:
    cell = _embb_cell(80)
    base, _ = _slice(cell)
    loaded, _ = _slice(cell, Conditions(load=3.0))
    assert loaded.prb_used_dl > base.prb_used_dl
    assert loaded.prb_used_dl <= 0.8 * 273 + 1e-9
    assert loaded.rrc_conn_mean > base.rrc_conn_mean
    assert loaded.rrc_conn_max >= loaded.rrc_conn_mean


def test_dedicated_prbs_are_not_shared() -> None:
    policies = [SlicePolicy(2, "000002", 100, 50, 50), SlicePolicy(1, EMBB, 100)]
    alloc = allocate(100.0, [5.0, 100.0], policies)
    assert alloc[0] == 5.0
    assert abs(alloc[1] - 50.0) < 1e-9


def test_locked_cell_carries_nothing() -> None:
    kpis = cell_kpis(CellSpec("1", 273, False, (SlicePolicy(1, EMBB, 100),)), 5.0, "gnb1")
    assert not kpis.enabled and kpis.prb_used_dl == 0 and kpis.slices == ()


def test_kpis_are_deterministic_and_move_with_time() -> None:
    cell = _embb_cell(100)
    assert cell_kpis(cell, 10.0, "gnb1") == cell_kpis(cell, 10.0, "gnb1")
    assert cell_kpis(cell, 10.0, "gnb1") != cell_kpis(cell, 90.0, "gnb1")
    assert cell_kpis(cell, 10.0, "gnb1") != cell_kpis(cell, 10.0, "gnb2")


def test_slice_totals_sum_throughput_and_keep_worst_latency() -> None:
    a = cell_kpis(_embb_cell(30), 1.0, "g")
    b = cell_kpis(CellSpec("2", 106, True, (SlicePolicy(1, EMBB, 90),)), 1.0, "g")
    (total,) = slice_totals([a, b])
    assert total.throughput_dl_mbps == a.slices[0].throughput_dl_mbps + b.slices[0].throughput_dl_mbps
    assert total.latency_ms == max(a.slices[0].latency_ms, b.slices[0].latency_ms)


def test_upf_sessions_are_capped_by_capacity() -> None:
    slices = [CoreSlice(1, "FFFFFF", 2), CoreSlice(3, "000003")]
    free = session_kpis(slices, 1.0, "upf1", None, 100_000)
    assert free.rejected == 0 and free.total == sum(free.per_slice.values()) > 0
    capped = session_kpis(slices, 1.0, "upf1", None, 500)
    assert capped.total <= 500 and capped.rejected > 0
    loaded = session_kpis(slices, 1.0, "upf1", Conditions(slice_load={"3-000003": 2.0}), 100_000)
    assert loaded.per_slice["3-000003"] > free.per_slice["3-000003"]
    assert loaded.per_slice["1-FFFFFF"] == free.per_slice["1-FFFFFF"]
    assert session_kpis(slices, 1.0, "upf1", None, 500, enabled=False).total == 0
