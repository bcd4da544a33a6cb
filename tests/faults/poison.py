"""A task that always fails, loaded into a fault test's worker with CELERY_EXTRA_TASK_MODULES."""
from celery import shared_task
from django.db import OperationalError

from core.redis import sync_client
from workers.tasks.base import ReliableTask


@shared_task(base=ReliableTask, name="faults.poison")
def poison(*, attempts_key: str) -> None:
    """Fails with a fault the workers treat as transient, so it is retried, then given up on."""
    sync_client().incr(attempts_key)
    raise OperationalError("poison task: fails on every attempt")
