"""A poison task (fails on every attempt) is retried a bounded number of times, then recorded as a
`FailedTask`, while the rest of the work keeps flowing."""
from __future__ import annotations

import time

import pytest
from celery import Celery
from django.contrib import admin

from tests.faults.clients import ChatClient, wait_for
from tests.faults.conftest import stored_sends
from workers.models import FailedTask

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

POISON_TASKS = 4
MAX_RETRIES = 3
MESSAGES = 30


async def test_poison_task_is_retried_then_recorded_without_blocking_work(fault_stack, make_user):
    alice, bob = make_user("Alice"), make_user("Bob")
    fault_stack.worker(CELERY_EXTRA_TASK_MODULES="tests.faults.poison", CELERY_TASK_MAX_RETRIES=str(MAX_RETRIES),
                       CELERY_TASK_RETRY_BACKOFF_MAX="2")
    server = fault_stack.server()
    sender = await ChatClient.open(alice, server)

    producer = Celery(set_as_current=False)  # an outside client that knows the task by name only
    with producer.connection_for_write(fault_stack.redis.url(1)) as broker:
        poison_ids = [producer.send_task("faults.poison", kwargs={"attempts_key": f"poison:{number}"},
                                         connection=broker).id for number in range(POISON_TASKS)]
    started = time.monotonic()
    for number in range(MESSAGES):
        await sender.send(receiver_id=bob.id, text=f"still flowing {number}", temp_id=f"m{number}")
    await sender.deliver_everything(timeout=60, resend_after=60)
    messages_done = time.monotonic() - started

    await wait_for(lambda: FailedTask.objects.filter(task_id__in=poison_ids).count() == POISON_TASKS, timeout=90,
                   what="every poison task to be recorded")
    poison_done = time.monotonic() - started
    redis = fault_stack.redis.client()
    assert [int(redis.get(f"poison:{number}")) for number in range(POISON_TASKS)] == [MAX_RETRIES + 1] * POISON_TASKS
    for failed in FailedTask.objects.filter(task_id__in=poison_ids):
        assert failed.task_name == "faults.poison" and failed.retries == MAX_RETRIES
        assert failed.exception_type == "OperationalError" and "fails on every attempt" in failed.exception_message
        # Only ids are kept of the arguments; this task's only one is a Redis key, a string.
        assert failed.arguments == {"kwargs": {}, "left_out": ["attempts_key"], "positional": 0}
        assert "Traceback" in failed.traceback
    assert len(stored_sends(alice.id)) == MESSAGES
    assert FailedTask in admin.site._registry
    print(f"\npoison: {POISON_TASKS} tasks x {MAX_RETRIES + 1} attempts recorded after {poison_done:.1f} s; "
          f"{MESSAGES} messages acknowledged meanwhile, all within {messages_done:.1f} s")
    await sender.close()
