"""Records every task that failed for good (a poison task, exhausted retries) as a `FailedTask`.

A record is kept until an operator deletes it, so it keeps no private text: of the task's
arguments only the ids (message text, titles, notification bodies, client keys and channel names
are left out, by name), and the error and traceback pass through `scrubbed`.
"""
from __future__ import annotations

import logging
import re
from typing import Any

from celery.signals import task_failure
from django.db import DatabaseError

from core.logging import redact
from workers.models import FailedTask

logger = logging.getLogger(__name__)

# `id`, `user_id`, `message_ids`...: the names under which tasks carry ids.
_ID_NAME = re.compile(r"(?:^|_)ids?$")
# PostgreSQL quotes the offending row or key in its errors ("Failing row contains (…)",
# "Key (…)=(…) already exists"): stored text would end up in the record with it.
_ROW_DETAILS = [
    (re.compile(r"(Failing row contains ).*"), r"\1[redacted]"),
    (re.compile(r"(Key \([^)\n]*\)=)\(.*\)"), r"\1[redacted]"),
]


def _is_id(value: Any) -> bool:
    """A JSON number or a string of ASCII digits, as ids travel (a `temp_id` of the client's is not one)."""
    if isinstance(value, str):
        return value.isascii() and value.isdigit()
    return isinstance(value, int) and not isinstance(value, bool)


def _ids_in(value: Any) -> Any:
    """An id or a list of ids as it is, else None."""
    if isinstance(value, (list, tuple)):
        return list(value) if all(_is_id(item) for item in value) else None
    return value if _is_id(value) else None


def ids_only(kwargs: dict) -> dict:
    """The arguments named as ids whose values are ids, and the same inside nested objects and
    lists of objects (a batch's `sends`, `requests`); everything else is left out."""
    kept: dict[str, Any] = {}
    for name, value in kwargs.items():
        if _ID_NAME.search(str(name)) and (ids := _ids_in(value)) is not None:
            kept[name] = ids
        elif isinstance(value, dict) and (nested := ids_only(value)):
            kept[name] = nested
        elif (isinstance(value, (list, tuple)) and value and all(isinstance(item, dict) for item in value)
              and any(nested_items := [ids_only(item) for item in value])):
            kept[name] = nested_items
    return kept


def recorded_arguments(args: Any, kwargs: Any) -> dict:
    """What a record keeps of a task's arguments: the ids, the names of the arguments left out and
    the number of positional ones (the project's tasks take keywords only)."""
    kwargs = dict(kwargs or {})
    kept = ids_only(kwargs)
    return {"kwargs": kept, "left_out": sorted(str(name) for name in kwargs if name not in kept),
            "positional": len(args or ())}


def scrubbed(text: str) -> str:
    """An error or traceback without tokens and without the row values PostgreSQL quotes."""
    text = redact(text)
    for pattern, replacement in _ROW_DETAILS:
        text = pattern.sub(replacement, text)
    return text


@task_failure.connect
def record_failed_task(sender=None, task_id=None, exception=None, args=None, kwargs=None, einfo=None, **_extra) -> None:
    request = getattr(sender, "request", None)
    try:
        FailedTask.objects.update_or_create(
            task_id=task_id,
            defaults={
                "task_name": getattr(sender, "name", "") or "",
                "arguments": recorded_arguments(args, kwargs),
                "exception_type": type(exception).__name__,
                "exception_message": scrubbed(str(exception))[:10_000],
                "traceback": scrubbed(str(einfo or ""))[:50_000],
                "retries": getattr(request, "retries", 0) or 0,
                "worker": getattr(request, "hostname", "") or "",
            },
        )
    except DatabaseError:
        # The database may be the very thing that failed; the worker log keeps the failure then.
        logger.exception("could not record failed task %s[%s]", getattr(sender, "name", "?"), task_id)
