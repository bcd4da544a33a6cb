"""What a task message shows of its arguments: sizes and numbers, never a message's words."""
from __future__ import annotations

from kombu import Producer

from realtime.handover import enqueue_now, kwargs_summary


def test_the_summary_names_numbers_and_list_sizes_only():
    summary = kwargs_summary({"sends": [{"text": "salary review"}] * 3, "reader_id": 7, "up_to_id": None,
                              "reply_channel": "specific.abc!def", "is_typing": True})
    assert summary == "{sends=[3 items], reader_id=7, up_to_id=None, reply_channel=..., is_typing=True}"


def test_the_task_message_carries_the_summary_instead_of_the_arguments(monkeypatch):
    """As published, after the publish signal (which would otherwise walk every argument again)."""
    published = []
    monkeypatch.setattr(Producer, "publish", lambda producer, body, **options: published.append((body, options)))
    enqueue_now("chat.send_messages", sends=[{"text": "the confidential salary review", "sender_id": 1}])
    [(body, options)] = published
    assert options["headers"]["kwargsrepr"] == "{sends=[1 items]}"
    assert options["headers"]["argsrepr"] == "()"
    assert "confidential" not in repr(options["headers"])
    # The arguments themselves still travel in the body.
    assert body[1] == {"sends": [{"text": "the confidential salary review", "sender_id": 1}]}
