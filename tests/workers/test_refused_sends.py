"""What the sending socket hears when the worker refuses its send: an `error` frame that
docs/asyncapi.yaml describes, echoing the send's `temp_id` when it had one."""
from __future__ import annotations

import pytest

from chat import services
from realtime import frames
from tests.factories import make_user
from tests.support.asyncapi import server_frame_violations
from tests.support.capture import Push
from workers.tasks.chat import send_messages_in_order

pytestmark = pytest.mark.django_db

SOCKET = "specific.abc!sock1"


@pytest.mark.parametrize("temp_id", ["draft-1", None])
def test_a_refused_socket_send_is_answered_with_a_documented_error(temp_id, published):
    alice, bob = make_user("Alice"), make_user("Bob", is_active=False)
    key = services.idempotency_key_for(temp_id)
    send = services.NewMessage(sender_id=alice.pk, receiver_id=bob.pk, text="Hello", temp_id=temp_id,
                               idempotency_key=key, reply_channel=SOCKET)

    send_messages_in_order([send])

    assert published == [Push(frame=frames.error("Receiver not found", code="not_found", temp_id=temp_id),
                              channel=SOCKET, reply_to=key)]
    assert server_frame_violations("/ws/chat/", published[0].frame) == []
