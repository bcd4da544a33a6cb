"""A REST view awaits a worker's answer (core.api.tasks.outcome_of) on the result backend's own
notification, in real Redis: no thread waits, nothing polls, and nothing is left behind."""
from __future__ import annotations

import asyncio
import threading
import time
import uuid

import pytest
from celery import current_app, states
from django.test import override_settings

from core.api import exception_handler
from core.api.tasks import WorkerFailed, outcome_of


def result_key(task_id: str) -> str:
    return current_app.backend.get_key_for_task(task_id).decode()  # type: ignore[attr-defined]


def store_later(task_id: str, *stored: tuple[object, str], delay: float) -> None:
    """Stores the task's results (state by state) from another thread, as a worker would."""
    def store() -> None:
        time.sleep(delay)
        for result, state in stored:
            current_app.backend.store_result(task_id, result, state)
    threading.Thread(target=store, daemon=True).start()


def leftover(task_id: str) -> bool:
    client = current_app.backend.client  # type: ignore[attr-defined]
    return bool(client.exists(result_key(task_id)))


async def test_an_outcome_stored_before_the_wait_is_read_and_deleted():
    task_id = str(uuid.uuid4())
    current_app.backend.store_result(task_id, {"count": 3}, states.SUCCESS)
    assert await outcome_of(task_id) == {"count": 3}
    assert not leftover(task_id)


async def test_an_outcome_stored_during_the_wait_arrives_at_once_and_no_thread_waits():
    task_id = str(uuid.uuid4())
    threads_before = threading.active_count()
    store_later(task_id, (None, states.STARTED), (RuntimeError("a broker hiccup"), states.RETRY), ({"count": 1}, states.SUCCESS),
                delay=0.3)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    started = time.monotonic()
    threads_during_wait: list[int] = []
    waiting = asyncio.create_task(outcome_of(task_id))
    await asyncio.sleep(0.15)
    threads_during_wait.append(threading.active_count())
    outcome = await waiting
    waited = time.monotonic() - started
    ticker.cancel()
    # Only the thread that plays the worker was started: the wait itself runs on the event loop,
    # which kept running meanwhile, and it ends as soon as the result is stored, not at a poll.
    assert threads_during_wait == [threads_before + 1]
    assert outcome == {"count": 1}
    assert 0.3 <= waited < 0.6, waited
    assert ticks >= 15
    assert not leftover(task_id)


@override_settings(CHAT_REST_SEND_WAIT_SECONDS=0.3)
async def test_no_outcome_in_time_is_none():
    started = time.monotonic()
    assert await outcome_of(str(uuid.uuid4())) is None
    assert 0.3 <= time.monotonic() - started < 0.6


async def test_a_task_the_workers_gave_up_on_answers_503_server_error():
    task_id = str(uuid.uuid4())
    store_later(task_id, (RuntimeError("the database stayed away"), states.FAILURE), delay=0.05)
    with pytest.raises(WorkerFailed) as failure:
        await outcome_of(task_id)
    response = exception_handler(failure.value, {})
    assert response.status_code == 503
    assert response.data["code"] == "server_error"
    assert not leftover(task_id)
