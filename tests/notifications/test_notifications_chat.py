"""Chat and notifications: a receiver with no live socket gets one collapsed `message`
notification per conversation, and reading the conversation marks it read."""
from __future__ import annotations

import pytest

from notifications.models import InAppNotification
from presence.selectors import is_online
from tests.support.ws import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NOTIFICATIONS = "/ws/notifications/"


def message_notifications(user) -> list[InAppNotification]:
    return list(InAppNotification.objects.filter(recipient_id=user.id, notification_type="message"))


async def send(socket, receiver, text: str) -> dict:
    await socket.send({"type": "message", "receiver_id": receiver.id, "message": text})
    return await socket.expect("message_sent", lambda f: f["message"] == text)


async def test_an_offline_receiver_gets_one_collapsed_notification_that_reading_marks_read(stack, make_user, ws):
    alice, bob = make_user("Alice"), make_user("Bob")
    alice_chat = await ws(alice)

    first = await send(alice_chat, bob, "Are you there? 👀")
    await send(alice_chat, bob, "Call me back 📞")

    await eventually(lambda: [n.data.get("count") for n in message_notifications(bob)] == [2])
    collapsed, = message_notifications(bob)
    assert collapsed.title == "New message from Alice" and collapsed.message == "Call me back 📞"
    assert (collapsed.related_object_type, collapsed.related_object_id) == ("chat.conversation", first["conversation_id"])
    assert collapsed.data["sender_id"] == alice.id and not collapsed.is_read

    bob_bell = await ws(bob, NOTIFICATIONS, expect_connected=False)
    assert (await bob_bell.expect("connection"))["unread_count"] == 1
    bob_chat = await ws(bob)
    await bob_chat.send({"type": "read_receipt", "conversation_id": first["conversation_id"]})
    assert (await bob_chat.expect("read_receipt_sent"))["count"] == 2

    update = await bob_bell.expect("notification_update")
    assert update["event"] == "notification_read" and update["notification_id"] == collapsed.pk
    assert update["unread_count"] == 0
    collapsed.refresh_from_db()
    assert collapsed.is_read

    # While Bob has a live socket, messages reach him directly and the notification stays as it is.
    await send(alice_chat, bob, "Great, you're online")
    await bob_chat.expect("message")
    await bob_bell.expect_none("notification")
    collapsed.refresh_from_db()
    assert collapsed.is_read and collapsed.data["count"] == 2

    await bob_chat.close()
    await bob_bell.close()
    await eventually(lambda: not is_online(bob.id))
    await send(alice_chat, bob, "One more thing")

    # The same row is re-opened, counting again from one: no second row.
    await eventually(lambda: not message_notifications(bob)[0].is_read)
    reopened, = message_notifications(bob)
    assert reopened.pk == collapsed.pk and reopened.data["count"] == 1 and reopened.message == "One more thing"


async def test_each_conversation_has_its_own_notification(stack, make_user, ws):
    alice, carol, bob = make_user("Alice"), make_user("Carol"), make_user("Bob")
    alice_chat, carol_chat = await ws(alice), await ws(carol)

    await send(alice_chat, bob, "from Alice")
    await send(carol_chat, bob, "from Carol")

    await eventually(lambda: len(message_notifications(bob)) == 2)
    assert sorted(n.title for n in message_notifications(bob)) == ["New message from Alice", "New message from Carol"]


async def test_a_rest_read_of_the_conversation_marks_its_notification_read(stack, make_user, ws):
    alice, bob = make_user("Alice"), make_user("Bob")
    alice_chat = await ws(alice)
    sent = await send(alice_chat, bob, "ping")
    await eventually(lambda: len(message_notifications(bob)) == 1)

    response = bob.rest(stack).post("/api/v1/communication/chats/mark-read/", {"sender_id": alice.id})

    assert response.status_code == 200 and response.json()["marked_count"] == 1
    notification, = message_notifications(bob)
    assert notification.is_read and notification.related_object_id == sent["conversation_id"]


async def test_a_receiver_with_only_a_notification_socket_open_gets_the_chat_notification_on_it(stack, make_user, ws):
    alice, bob = make_user("Alice"), make_user("Bob")
    alice_chat = await ws(alice)
    bob_bell = await ws(bob, NOTIFICATIONS)
    await eventually(lambda: is_online(bob.id))

    await send(alice_chat, bob, "Lunch at noon? 🍜")

    pushed = (await bob_bell.expect("notification"))["notification"]
    assert pushed["notification_type"] == "message" and pushed["message"] == "Lunch at noon? 🍜"
    assert [n.pk for n in message_notifications(bob)] == [pushed["id"]]


async def test_a_receiver_with_a_chat_socket_open_gets_no_chat_notification(stack, make_user, ws):
    alice, bob = make_user("Alice"), make_user("Bob")
    alice_chat = await ws(alice)
    bob_bell, bob_chat = await ws(bob, NOTIFICATIONS), await ws(bob)
    await eventually(lambda: is_online(bob.id))

    await send(alice_chat, bob, "You can see this one live")

    await bob_chat.expect("message")
    await bob_bell.expect_none("notification")
    assert message_notifications(bob) == []
