"""What operators see of a task (Flower, task events) never holds what people wrote."""
from __future__ import annotations

import pytest
from celery.signals import after_task_publish
from django.conf import settings

from config.celery_app import app
from workers.tasks import chat as chat_tasks
from workers.tasks import notifications as notification_tasks


@pytest.fixture
def published():
    """The headers of every task published during the test, as they went to a broker database that
    no worker reads."""
    published_headers: list[dict] = []

    def record(headers=None, **_kwargs) -> None:
        published_headers.append(headers)

    after_task_publish.connect(record, weak=False)
    # The slot's application database: no worker consumes from it, and every test flushes it.
    with app.connection_for_write(settings.REDIS_URL) as connection:
        yield connection, published_headers
        connection.default_channel.client.flushdb()
    after_task_publish.disconnect(record)


def test_a_send_batch_shows_ids_and_lengths_but_no_text(published):
    connection, headers = published
    sends = [{"sender_id": 1, "receiver_id": 2, "text": "my exam answers", "temp_id": "t1",
              "idempotency_key": "t:t1", "attachment_id": None, "reply_channel": "specific.x"}]
    chat_tasks.send_messages.apply_async(kwargs={"sends": sends}, connection=connection)

    kwargsrepr = headers[-1]["kwargsrepr"]
    assert "my exam answers" not in kwargsrepr and "<15 characters>" in kwargsrepr
    assert "'receiver_id': 2" in kwargsrepr


def test_a_notification_shows_its_recipients_but_not_its_content(published):
    connection, headers = published
    notification_tasks.send_notification.apply_async(connection=connection, kwargs={
        "recipient_ids": [7], "notification_type": "grade", "title": "Your grade", "message": "You failed",
        "data": {"grade": "F"},
    })

    kwargsrepr = headers[-1]["kwargsrepr"]
    for private in ("Your grade", "You failed", "'F'"):
        assert private not in kwargsrepr
    assert "'recipient_ids': [7]" in kwargsrepr
