"""A task that fails for good tells each socket that waits for it (never a silent drop); which
requests wait is the task's own declaration, not the base class's knowledge of chat."""
from __future__ import annotations

from realtime.replies import GAVE_UP
from tests.support.capture import Push
from workers.tasks import chat as chat_tasks
from workers.tasks import presence as presence_tasks


def gave_up(channel: str, temp_id: str | None = None, reply_to: str | None = None) -> Push:
    frame = {"type": "error", "error": GAVE_UP, "code": "server_error"}
    if temp_id is not None:
        frame["temp_id"] = temp_id
    return Push(frame=frame, channel=channel, reply_to=reply_to)


def test_each_send_of_a_failed_batch_hears_it_on_its_own_socket(published):
    sends = [
        {"sender_id": 1, "receiver_id": 2, "text": "a", "temp_id": "t1", "idempotency_key": "t:t1", "reply_channel": "s1"},
        {"sender_id": 3, "receiver_id": 2, "text": "b", "temp_id": "t2", "idempotency_key": "t:t2", "reply_channel": "s2"},
        {"sender_id": 4, "receiver_id": 2, "text": "c", "temp_id": None, "idempotency_key": "s:x", "reply_channel": None},
    ]
    chat_tasks.send_messages.on_failure(RuntimeError("gone"), "task-1", (), {"sends": sends}, None)

    assert list(published) == [gave_up("s1", "t1", "t:t1"), gave_up("s2", "t2", "t:t2")]


def test_a_failed_request_from_a_socket_is_answered_and_one_from_nobody_is_not(published):
    chat_tasks.mark_read.on_failure(RuntimeError("gone"), "task-2", (),
                                    {"reader_id": 1, "conversation_id": 7, "reply_channel": "s3"}, None)
    presence_tasks.announce.on_failure(RuntimeError("gone"), "task-3", (), {"user_id": 1}, None)

    assert list(published) == [gave_up("s3")]
