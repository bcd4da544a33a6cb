"""How a REST view hands work to the workers and answers with its outcome."""
from __future__ import annotations

from typing import Any

from celery import current_app
from celery.exceptions import TimeoutError as CeleryTimeout
from django.conf import settings

from core.db import release_connection
from core.errors import from_dict


def wait_for(task: str, **kwargs: Any) -> Any:
    """Runs a task (by name) on the workers and waits briefly; None means it is queued but not done yet.

    The request's database connection goes back to the pool before the wait: a few requests
    waiting on busy workers must not empty the pool that every socket and request shares. The
    result is removed once read, so an outcome never stays in Redis for anyone else to read.
    """
    result = current_app.send_task(task, kwargs=kwargs)
    release_connection()
    try:
        outcome = result.get(timeout=settings.CHAT_REST_SEND_WAIT_SECONDS, propagate=True, disable_sync_subtasks=False)
    except CeleryTimeout:
        return None
    result.forget()
    return outcome


def raise_if_error(outcome: dict) -> dict:
    """A worker reports a client error as `{"error", "code"}`: raise it as the matching ClientError."""
    if "error" in outcome:
        raise from_dict(outcome)
    return outcome
