"""Presence tasks: announcing transitions and sweeping connections of dead server processes."""
from __future__ import annotations

from celery import shared_task
from django.conf import settings

from presence import services
from workers.tasks.base import ReliableTask


@shared_task(base=ReliableTask, name="presence.announce")
def announce(*, user_id: int) -> bool:
    return services.announce_if_changed(user_id=user_id)


@shared_task(base=ReliableTask, name="presence.sweep_stale", expires=settings.PRESENCE_SWEEP_SECONDS)
def sweep_stale() -> int:
    went_offline = services.sweep_stale_connections(
        batch_size=settings.PRESENCE_SWEEP_BATCH, stale_after=settings.PRESENCE_STALE_SECONDS
    )
    for user_id in went_offline:
        services.announce_if_changed(user_id=user_id)
    return len(went_offline)
