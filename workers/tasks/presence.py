"""Presence tasks: announcing transitions and sweeping the connections of dead server processes."""
from __future__ import annotations

from celery import shared_task
from django.conf import settings

from presence import services
from presence import tasks as names
from workers.tasks.base import ReliableTask


@shared_task(base=ReliableTask, name=names.ANNOUNCE)
def announce(*, user_id: int) -> bool:
    outcome = services.announce_if_changed(user_id=user_id)
    if outcome.retry_in is not None:
        # Offline for less than the grace period: look again when it ends.
        announce.apply_async(kwargs={"user_id": user_id}, countdown=outcome.retry_in, ignore_result=True)
    return outcome.sent


@shared_task(base=ReliableTask, name=names.ANNOUNCE_MANY)
def announce_many(*, requests: list[dict]) -> int:
    """The users one server process saw come online within a moment: `[{"user_id": ...}, ...]`."""
    return sum(announce(user_id=request["user_id"]) for request in requests)


@shared_task(base=ReliableTask, name=names.SWEEP_STALE, expires=settings.PRESENCE_SWEEP_SECONDS)
def sweep_stale() -> int:
    """Takes dead sockets out, then has every transition not yet announced announced.

    Redis work only, in bounded batches; the announcements (a database read and a push each) run as
    their own tasks, so a crash that took thousands of sockets down is announced by all workers.
    The second step also repairs announcements that were lost (the broker was down when a socket
    closed); a user still inside the offline grace period is left to the pending announcement.
    """
    went_offline = services.sweep_stale_connections(
        batch_size=settings.PRESENCE_SWEEP_BATCH, stale_after=settings.PRESENCE_STALE_SECONDS
    )
    for user_id in services.unannounced_users(batch_size=settings.PRESENCE_SWEEP_BATCH):
        announce.apply_async(kwargs={"user_id": user_id}, ignore_result=True)
    return len(went_offline)
