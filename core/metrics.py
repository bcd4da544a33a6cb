"""Prometheus metrics (docs/operations.md): what the server and the workers count, and the
`GET /metrics` exposition.

Every process (the ASGI servers and each Celery pool process) counts in its own memory, or, when
PROMETHEUS_MULTIPROC_DIR names a directory they share, in files there that `/metrics` adds up:
prometheus_client's multiprocess mode, which is how the workers' figures reach the server's
endpoint. The recording functions here are what the rest of the code calls; they stay cheap
enough for every frame.
"""
from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterable, Iterator
from datetime import datetime

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily, Metric


def _process_identifier() -> str:
    """What names a process's files in the shared directory. Containers sharing it each number
    their processes from 1, so the host name comes first; no "_", on which the collector splits
    file names."""
    return f"{socket.gethostname().replace('_', '-')}-{os.getpid()}"


if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    values.ValueClass = values.MultiProcessValue(process_identifier=_process_identifier)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

OPEN_SOCKETS = Gauge("erp_comm_open_sockets", "Authenticated WebSocket connections open now, by socket family.",
                     ["family"], multiprocess_mode="livesum")
FRAMES_SENT = Counter("erp_comm_frames_sent", "Frames written to sockets, by socket family and frame type.",
                      ["family", "type"])
ERROR_FRAMES = Counter("erp_comm_error_frames", "error frames written to sockets, by error code.", ["code"])
EVENTS_REPLAYED = Counter("erp_comm_events_replayed",
                          "Stream events written again to a socket that resumed, by socket family.", ["family"])
RESYNC_REQUIRED = Counter("erp_comm_resync_required", "resync_required frames written, by socket family.", ["family"])
MESSAGES_STORED = Counter("erp_comm_messages_stored", "Chat messages stored (committed).")
TASK_QUEUE_WAIT = Histogram("erp_comm_task_queue_wait_seconds",
                            "From a task's publish by this project to a worker starting it, by task name.",
                            ["task"], buckets=LATENCY_BUCKETS)
SEND_TO_STORED = Histogram("erp_comm_send_to_stored_seconds",
                           "From a socket's message frame to its message_sent reply (stored and committed).",
                           buckets=LATENCY_BUCKETS)
STORED_TO_DELIVERED = Histogram("erp_comm_stored_to_delivered_seconds",
                                "From a message's stored timestamp to its frame on a live socket of its receiver.",
                                buckets=LATENCY_BUCKETS)


def socket_opened(family: str) -> None:
    OPEN_SOCKETS.labels(family).inc()


def socket_closed(family: str) -> None:
    OPEN_SOCKETS.labels(family).dec()


def frame_sent(family: str, frame: dict) -> None:
    frame_type = frame.get("type", "")
    FRAMES_SENT.labels(family, frame_type).inc()
    if frame_type == "error":
        ERROR_FRAMES.labels(frame.get("code", "")).inc()
    elif frame_type == "resync_required":
        RESYNC_REQUIRED.labels(family).inc()
    if frame.get("replayed"):
        EVENTS_REPLAYED.labels(family).inc()


def messages_stored(count: int) -> None:
    MESSAGES_STORED.inc(count)


def task_started(task: str, published_at: float | None) -> None:
    if published_at is not None:
        TASK_QUEUE_WAIT.labels(task).observe(max(0.0, time.time() - published_at))


def send_stored(seconds: float) -> None:
    SEND_TO_STORED.observe(seconds)


def message_delivered(stored_at: str) -> None:
    """`stored_at` is the frame's `timestamp` (ISO-8601, UTC)."""
    stored = datetime.fromisoformat(stored_at.replace("Z", "+00:00")).timestamp()
    STORED_TO_DELIVERED.observe(max(0.0, time.time() - stored))


def process_ended() -> None:
    """The calling process is exiting: it leaves the sums of the live ones (multiprocess mode only)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(_process_identifier())


class _Collected:
    """Adds the figures another registry already holds (this process's own, without multiprocess mode)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterable[Metric]:
        return self.registry.collect()


class _Measured:
    """Figures read at scrape time rather than counted."""

    def __init__(self, gauges: dict[str, tuple[str, float]]) -> None:
        self.gauges = gauges

    def collect(self) -> Iterator[Metric]:
        for name, (documentation, value) in self.gauges.items():
            yield GaugeMetricFamily(name, documentation, value=value)


def exposition(*, gauges: dict[str, tuple[str, float]]) -> bytes:
    """The text exposition of every process's figures, plus `gauges` read now ({name: (help, value)})."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Collected(REGISTRY))
    registry.register(_Measured(gauges))
    return generate_latest(registry)
