"""Prometheus metrics of the order path."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

ORDERS_SUBMITTED = Counter("rom_orders_submitted_total", "Resource orders acknowledged")
ORDERS_REJECTED = Counter("rom_orders_rejected_total", "Resource orders refused with a 4xx at intake")
ORDERS_FINISHED = Counter(
    "rom_orders_finished_total", "Resource orders that reached a final state", ["state"]
)
ORDER_DURATION = Histogram(
    "rom_order_duration_seconds",
    "From inProgress to a final state",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
