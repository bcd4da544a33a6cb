"""How a REST view hands work to the workers and awaits their answer.

The wait is an `await` on the result backend's own notification (Celery's Redis backend publishes
every stored result on a channel named after its key), not a thread blocked in `AsyncResult.get`:
a request waiting on busy workers holds no thread and no database connection.
"""
from __future__ import annotations

import asyncio
from typing import Any

from asgiref.sync import sync_to_async
from celery import current_app, states
from django.conf import settings

from core.db import release_connection
from core.errors import from_dict
from core.redis import async_client


class WorkerFailed(Exception):
    """The workers gave up on the task (its retries are spent): the client may retry it."""


def hand_over(task: str, **kwargs: Any) -> str:
    """Sends a task by name and gives the request's database connection back (nothing it does
    until the answer needs one); returns the task's id."""
    result = current_app.send_task(task, kwargs=kwargs)
    release_connection()
    return result.id


async def wait_for(task: str, **kwargs: Any) -> Any:
    """Runs a task on the workers and waits CHAT_REST_SEND_WAIT_SECONDS at most for its return
    value; None means it is queued but not done yet."""
    return await outcome_of(await sync_to_async(hand_over)(task, **kwargs))


async def outcome_of(task_id: str) -> Any:
    """A task's return value, awaited CHAT_REST_SEND_WAIT_SECONDS at most (None after that).
    Raises WorkerFailed if the workers gave up on it."""
    try:
        async with asyncio.timeout(settings.CHAT_REST_SEND_WAIT_SECONDS):
            return await _stored_outcome(task_id)
    except TimeoutError:
        return None


async def _stored_outcome(task_id: str) -> Any:
    """The stored result is deleted once read, so an outcome never stays in Redis for anyone else
    to read."""
    backend: Any = current_app.backend  # a key-value backend, whose methods Celery's stubs lack
    key = backend.get_key_for_task(task_id).decode()
    client = async_client(settings.CELERY_RESULT_BACKEND)
    async with client.pubsub() as results:
        await results.subscribe(key)
        # Subscribed first, read second: a result stored in between is not missed.
        meta = _meta(await client.get(key))
        while meta is None:
            # A bounded read each time: an unbounded one would end at the client's socket timeout.
            message = await results.get_message(ignore_subscribe_messages=True, timeout=1.0)
            meta = _meta(message["data"]) if message else None
    await client.delete(key)
    if meta["status"] != states.SUCCESS:
        raise WorkerFailed(f"task {task_id} ended {meta['status']}")
    return meta["result"]


def _meta(stored: str | None) -> dict | None:
    """A stored result's metadata, or None while the task has not finished (nothing stored yet, or
    a retry or start recorded)."""
    if stored is None:
        return None
    backend: Any = current_app.backend
    meta = backend.decode_result(stored)
    return meta if meta["status"] in states.READY_STATES else None


def raise_if_error(outcome: dict) -> dict:
    """A worker reports a client error as `{"error", "code"}`: raise it as the matching ClientError."""
    if "error" in outcome:
        raise from_dict(outcome)
    return outcome
