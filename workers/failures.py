"""Records every task that failed for good (a poison task, exhausted retries) as a `FailedTask`."""
from __future__ import annotations

import json
import logging

from celery.signals import task_failure
from django.db import DatabaseError

from core.logging import redact
from workers.models import FailedTask

logger = logging.getLogger(__name__)


def _arguments(args, kwargs) -> dict:
    """JSON-safe and redacted: tasks take ids only, but a record must never keep a secret."""
    text = json.dumps({"args": list(args or ()), "kwargs": dict(kwargs or {})}, default=repr)
    return json.loads(redact(text))


@task_failure.connect
def record_failed_task(sender=None, task_id=None, exception=None, args=None, kwargs=None, einfo=None, **_extra) -> None:
    request = getattr(sender, "request", None)
    try:
        FailedTask.objects.update_or_create(
            task_id=task_id,
            defaults={
                "task_name": getattr(sender, "name", "") or "",
                "arguments": _arguments(args, kwargs),
                "exception_type": type(exception).__name__,
                "exception_message": redact(str(exception))[:10_000],
                "traceback": redact(str(einfo or ""))[:50_000],
                "retries": getattr(request, "retries", 0) or 0,
                "worker": getattr(request, "hostname", "") or "",
            },
        )
    except DatabaseError:
        # The database may be the very thing that failed; the worker log keeps the failure then.
        logger.exception("could not record failed task %s[%s]", getattr(sender, "name", "?"), task_id)
