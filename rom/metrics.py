"""Prometheus metrics of the order path."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric

ORDERS_SUBMITTED = Counter("rom_orders_submitted_total", "Resource orders acknowledged")
ORDERS_REJECTED = Counter("rom_orders_rejected_total", "Resource orders refused with a 4xx at intake")
ORDERS_FINISHED = Counter(
    "rom_orders_finished_total", "Resource orders that reached a final state", ["state"]
)
ORDER_CLAIMS = Counter(
    "rom_order_claims_total",
    "A worker's attempts to claim a runnable order, by outcome: won; lost (another worker took it, or "
    "it changed); device_busy (one of its devices was locked meanwhile); contended (the database was busy)",
    ["outcome"],
)
ORDER_DURATION = Histogram(
    "rom_order_duration_seconds",
    "From inProgress to a final state",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)


class OrdersByState:
    """`rom_orders{state=…}`: counted in the database at scrape time, so every process agrees."""

    def __init__(self, count_by_state: Callable[[], dict[str, int]]) -> None:
        self._count = count_by_state

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily("rom_orders", "Resource orders by state", labels=["state"])
        for state, count in sorted(self._count().items()):
            family.add_metric([state], count)
        yield family

    def describe(self) -> Iterator[Metric]:
        return iter(())
