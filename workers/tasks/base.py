"""What every task shares: at-least-once delivery, bounded retries on infrastructure faults."""
from __future__ import annotations

import logging
import time

from celery import Task
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections, connection
from redis.exceptions import ConnectionError as RedisConnectionError

from core.logging import Throttled
from realtime import replies
from realtime.fanout import push_now

logger = logging.getLogger(__name__)

# Faults that a later attempt can outlive. Retry delays stay far below the broker's
# visibility timeout, or a task would run twice (docs/deployment.md).
TRANSIENT_ERRORS = (OperationalError, InterfaceError, RedisConnectionError)
DATABASE_ERRORS = (OperationalError, InterfaceError)


class DatabaseOutage:
    """Per worker process: once a task met a database fault, later tasks wait for the database.

    Without this every queued task would fail, retry and log on its own, hundreds of times a
    second; with it a worker process holds one task, probes with a capped backoff and logs a
    line now and then, and the queue stays in the broker until PostgreSQL answers again.
    """

    def __init__(self) -> None:
        self.suspected = False
        self.log = Throttled(logger, seconds=settings.WORKER_OUTAGE_LOG_SECONDS)

    def suspect(self) -> None:
        self.suspected = True

    def wait(self) -> None:
        """Returns when the database answers, or after the wait budget (the task then retries)."""
        deadline = time.monotonic() + settings.WORKER_DATABASE_WAIT_SECONDS
        delay = 0.25
        while not self._answers():
            if time.monotonic() >= deadline:
                return
            self.log.warning("database", "database unavailable; tasks wait for it before running")
            time.sleep(min(delay, max(deadline - time.monotonic(), 0)))
            delay = min(delay * 2, 5.0)
        self.suspected = False

    @staticmethod
    def _answers() -> bool:
        close_old_connections()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            return True
        except DatabaseError:
            return False


database_outage = DatabaseOutage()


class IdleConnection:
    """Per worker process: the database connection is checked (Django's health check, a `SELECT 1`)
    only before a task that follows a pause. Back to back, tasks skip the round trip, which was 9%
    of a chat send's wall time (docs/performance.md); a connection that broke meanwhile fails its
    task, which retries after `database_outage` has replaced it."""

    def __init__(self) -> None:
        self.last_used = float("-inf")

    def needs_check(self) -> bool:
        return time.monotonic() - self.last_used > settings.WORKER_CONNECTION_CHECK_AFTER_IDLE_SECONDS

    def used(self) -> None:
        self.last_used = time.monotonic()


idle_connection = IdleConnection()


class ReliableTask(Task):
    acks_late = True
    reject_on_worker_lost = True
    autoretry_for: tuple[type[Exception], ...] = TRANSIENT_ERRORS
    max_retries = settings.CELERY_TASK_MAX_RETRIES
    retry_backoff = 1
    retry_backoff_max = settings.CELERY_TASK_RETRY_BACKOFF_MAX
    retry_jitter = True

    def before_start(self, task_id, args, kwargs):
        if idle_connection.needs_check():
            # A connection that died with the database is dropped instead of failing the task.
            close_old_connections()
        if database_outage.suspected:
            database_outage.wait()

    def after_return(self, status, retval, task_id, args, kwargs, einfo):
        idle_connection.used()

    def on_retry(self, exc, task_id, args, kwargs, einfo):
        # Celery logs a retry at INFO, below CELERY_TASK_LOG_LEVEL's default.
        logger.warning("%s[%s] will retry: %r", self.name, task_id, exc)
        if isinstance(exc, DATABASE_ERRORS):
            database_outage.suspect()

    def waiting_requests(self, kwargs: dict) -> list[dict]:
        """The requests whose sockets wait for this task's answer: each names its socket
        (`reply_channel`) and, for a send, its `temp_id` and `idempotency_key`. By default the task's
        own request; a task that carries several requests (a batch) says which."""
        return [kwargs]

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        """Each socket that asked for this work hears that it failed for good: never a silent drop.

        The failure itself is recorded by `workers.failures` (the `task_failure` signal).
        """
        push_now([replies.gave_up(request) for request in self.waiting_requests(kwargs) if request.get("reply_channel")])
