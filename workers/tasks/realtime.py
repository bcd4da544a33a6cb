"""The event stream's and the delivery log's upkeep."""
from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from realtime import delivery_log, stream
from realtime import tasks as names
from workers.tasks.base import ReliableTask

# One run deletes at most this many batches of this many events; the next run goes on.
EVENT_PRUNE_BATCH = 5_000
EVENT_PRUNE_BATCHES_PER_RUN = 20


@shared_task(base=ReliableTask, name=names.PRUNE_EVENTS)
def prune_events() -> int:
    """Beat's: events older than EVENT_RETENTION_DAYS go, a bounded number per run."""
    return stream.prune(created_before=timezone.now() - timedelta(days=settings.EVENT_RETENTION_DAYS),
                        batch_size=EVENT_PRUNE_BATCH, max_batches=EVENT_PRUNE_BATCHES_PER_RUN)


@shared_task(base=ReliableTask, name=names.PRUNE_SOCKET_WRITES)
def prune_socket_writes() -> int:
    """Beat's: the delivery log is kept as long as the events, and pruned the same way."""
    return delivery_log.prune(written_before=timezone.now() - timedelta(days=settings.EVENT_RETENTION_DAYS),
                              batch_size=EVENT_PRUNE_BATCH, max_batches=EVENT_PRUNE_BATCHES_PER_RUN)
