"""What operators see of a task (Flower, task events) never holds what people wrote."""
from __future__ import annotations

import json

import pytest
import redis
from django.conf import settings

from config.celery_app import app
from workers.tasks import chat as chat_tasks
from workers.tasks import notifications as notification_tasks

# A broker database that no worker of this run consumes from: the published message stays there.
PARKING_DB = 15


@pytest.fixture
def parked_broker():
    url = settings.REDIS_URL.rsplit("/", 1)[0] + f"/{PARKING_DB}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    with app.connection_for_write(url) as connection:
        # Declared here: the process may have declared them on the real broker only.
        for queue in app.amqp.queues.values():
            queue.bind(connection.default_channel).declare()
        yield connection, client
    client.flushdb()


def published_headers(client: redis.Redis, queue: str) -> dict:
    raw, = client.lrange(queue, 0, -1)
    return json.loads(raw)["headers"]


def test_a_send_batch_shows_ids_and_lengths_but_no_text(parked_broker):
    connection, client = parked_broker
    sends = [{"sender_id": 1, "receiver_id": 2, "text": "my exam answers", "temp_id": "t1",
              "idempotency_key": "t:t1", "attachment_id": None, "reply_channel": "specific.x"}]
    chat_tasks.send_messages.apply_async(kwargs={"sends": sends}, connection=connection)

    headers = published_headers(client, "chat")
    assert "my exam answers" not in headers["kwargsrepr"] and "<15 characters>" in headers["kwargsrepr"]
    assert "'receiver_id': 2" in headers["kwargsrepr"]


def test_a_notification_shows_its_recipients_but_not_its_content(parked_broker):
    connection, client = parked_broker
    notification_tasks.send_notification.apply_async(connection=connection, kwargs={
        "recipient_ids": [7], "notification_type": "grade", "title": "Your grade", "message": "You failed",
        "data": {"grade": "F"},
    })

    kwargsrepr = published_headers(client, "celery")["kwargsrepr"]
    for private in ("Your grade", "You failed", "'F'"):
        assert private not in kwargsrepr
    assert "'recipient_ids': [7]" in kwargsrepr
