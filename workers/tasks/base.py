"""What every task shares: at-least-once delivery, bounded retries on infrastructure faults."""
from __future__ import annotations

from celery import Task
from django.db import InterfaceError, OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

# Faults that a later attempt can outlive. Retry delays stay far below the broker's
# visibility timeout, or a task would run twice (PITFALLS 8).
TRANSIENT_ERRORS = (OperationalError, InterfaceError, RedisConnectionError)


class ReliableTask(Task):
    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = TRANSIENT_ERRORS
    max_retries = 8
    retry_backoff = 1
    retry_backoff_max = 30
    retry_jitter = True

    def before_start(self, task_id, args, kwargs):
        from django.db import close_old_connections

        # A connection that died with the database is dropped instead of failing the task.
        close_old_connections()
