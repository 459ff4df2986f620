"""Prometheus metrics of the telemetry pipeline (collector, publisher, SLA monitor)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

NOTIFICATIONS = Counter("rom_telemetry_notifications_total", "gNMI notifications received")
UPDATES = Counter("rom_telemetry_updates_total", "gNMI updates (and deletes) received")
BAD_UPDATES = Counter(
    "rom_telemetry_bad_updates_total", "Updates dropped as bad telemetry, by reason", ["reason"]
)
SYNC_RESPONSES = Counter("rom_telemetry_sync_responses_total", "sync_response messages received")
CONNECTS = Counter("rom_telemetry_subscribes_total", "Subscribe RPCs opened (first and resubscriptions)")
STREAM_ERRORS = Counter(
    "rom_telemetry_stream_errors_total", "Subscribe streams that ended, by status", ["code"]
)
STREAMS_UP = Gauge("rom_telemetry_streams_connected", "Subscribe streams currently connected")
SUBSCRIPTIONS = Gauge("rom_telemetry_subscriptions", "Subscriptions wanted by the inventory")

PUBLISHED_EVENTS = Counter("rom_telemetry_published_events_total", "Events acknowledged by Kafka")
PUBLISHED_UPDATES = Counter("rom_telemetry_published_updates_total", "Updates acknowledged by Kafka")
DROPPED_EVENTS = Counter(
    "rom_telemetry_dropped_events_total", "Events dropped before Kafka acknowledged them", ["reason"]
)
DROPPED_UPDATES = Counter(
    "rom_telemetry_dropped_updates_total", "Updates dropped before Kafka acknowledged them", ["reason"]
)
BUFFERED = Gauge("rom_telemetry_buffer_events", "Events buffered or in flight to Kafka")
PUBLISH_RETRIES = Counter("rom_telemetry_publish_retries_total", "Batches sent again after a failure")
PRODUCER_RESETS = Counter(
    "rom_telemetry_producer_resets_total",
    "New Kafka producer ids after a broken idempotent sequence (in-flight events may repeat)",
)
LATENCY = Histogram(
    "rom_telemetry_latency_seconds",
    "Notification timestamp to Kafka acknowledgement",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)

ALARMS_RAISED = Counter("rom_alarms_raised_total", "SLA alarms raised", ["rule"])
ALARMS_CLEARED = Counter("rom_alarms_cleared_total", "SLA alarms cleared", ["rule"])
ALARMS_ACTIVE = Gauge("rom_alarms_active", "SLA alarms currently raised")
CORRECTIVE_ORDERS = Counter(
    "rom_corrective_orders_total", "Corrective resource orders submitted, by outcome", ["outcome"]
)
