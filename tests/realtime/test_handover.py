"""What a task message shows of its arguments: sizes and numbers, never a message's words."""
from __future__ import annotations

from celery import current_app

from realtime.handover import enqueue_now, kwargs_summary


def test_the_summary_names_numbers_and_list_sizes_only():
    summary = kwargs_summary({"sends": [{"text": "salary review"}] * 3, "reader_id": 7, "up_to_id": None,
                              "reply_channel": "specific.abc!def", "is_typing": True})
    assert summary == "{sends=[3 items], reader_id=7, up_to_id=None, reply_channel=..., is_typing=True}"


def test_the_task_message_carries_the_summary_instead_of_the_arguments(monkeypatch):
    published = []
    monkeypatch.setattr(current_app.amqp, "send_task_message",
                        lambda producer, name, message, **options: published.append(message))
    enqueue_now("chat.send_messages", sends=[{"text": "the confidential salary review", "sender_id": 1}])
    [message] = published
    assert message.headers["kwargsrepr"] == "{sends=[1 items]}"
    assert message.headers["argsrepr"] == "()"
    assert "confidential" not in repr(message.headers)
    # The arguments themselves still travel in the body.
    assert message.body[1] == {"sends": [{"text": "the confidential salary review", "sender_id": 1}]}
