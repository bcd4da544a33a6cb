"""Chat's use of the notification inbox (chat/notifications.py)."""
from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync

from chat import notifications as chat_notifications
from notifications.models import InAppNotification
from presence import services as presence_services
from tests.factories import make_attachment, make_message, make_user

pytestmark = pytest.mark.django_db


def test_chat_messages_notify_only_receivers_without_a_chat_socket_once_per_conversation(alice, bob, published,
                                                                                        committed):
    carol, dave = make_user("Carol"), make_user("Dave")
    async_to_sync(presence_services.touch_connection)(user_id=carol.pk, connection="carol-chat")
    async_to_sync(presence_services.touch_connection)(user_id=dave.pk, connection="dave-bell")
    async_to_sync(presence_services.mark_notification_socket)(user_id=dave.pk, connection="dave-bell")
    to_bob = [make_message(alice, bob, "Hi Bob"), make_message(alice, bob, "x" * 300),
              make_message(alice, bob, "", attachment=make_attachment(alice))]
    to_carol, to_dave = make_message(alice, carol, "Hi Carol"), make_message(alice, dave, "Hi Dave")

    with committed():
        notified = chat_notifications.notify_chat_messages(messages=[*to_bob, to_carol, to_dave])

    rows = {n.recipient_id: n for n in InAppNotification.objects.all()}
    assert sorted(rows) == sorted([bob.pk, dave.pk]), "Carol's chat socket shows her the message"
    assert [n.pk for n in notified] == [rows[bob.pk].pk] * 3 + [rows[dave.pk].pk]
    to_bob_row = rows[bob.pk]
    assert (to_bob_row.notification_type, to_bob_row.title, to_bob_row.message, to_bob_row.icon) == (
        "message", "New message from Alice Smith", "Sent an attachment", "message")
    conversation_id = to_bob[0].conversation_id
    assert (to_bob_row.related_object_type, to_bob_row.related_object_id) == ("chat.conversation", conversation_id)
    assert to_bob_row.dedupe_key == f"chat.conversation:{conversation_id}"
    assert to_bob_row.data == {"conversation_id": conversation_id, "sender_id": alice.pk,
                               "sender_name": "Alice Smith", "message_id": to_bob[2].pk, "count": 3}
    assert [push.frame["notification"]["message"] for push in published] == [
        "Hi Bob", "x" * chat_notifications.CHAT_PREVIEW_LENGTH, "Sent an attachment", "Hi Dave"]
    assert [push.user_id for push in published] == [bob.pk] * 3 + [dave.pk]
