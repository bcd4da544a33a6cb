"""Ids are ASCII digits (or JSON numbers) everywhere: in frames, paths, query parameters and bodies.

Python's `str.isdigit()` is true for "²", and `int()` reads "٣" (Arabic-Indic three) and "３"
(full-width three) as 3; neither may reach the database as an id (a 500), nor be taken as another
id. Each is a `validation_error` frame or a 400.
"""
from __future__ import annotations

import pytest

from chat.models import ChatMessage, Conversation
from core.errors import ValidationFailed
from notifications import services as notification_services
from notifications.models import InAppNotification

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHATS = "/api/v1/communication/chats/"
NOTIFICATIONS_API = "/api/v1/communication/notifications/"
# Superscript two, Arabic-Indic three, full-width three, mathematical bold one, Devanagari four two.
NOT_ASCII_IDS = ["²", "٣", "３", "𝟏", "४२"]

CHAT_FRAMES = {
    "message receiver_id": lambda bad, ids: {"type": "message", "receiver_id": bad, "message": "hi"},
    "message attachment_id": lambda bad, ids: {"type": "message", "receiver_id": ids["bob"], "attachment_id": bad},
    "typing receiver_id": lambda bad, ids: {"type": "typing", "receiver_id": bad},
    "read_receipt message_ids": lambda bad, ids: {"type": "read_receipt", "message_ids": [ids["message"], bad]},
    "read_receipt conversation_id": lambda bad, ids: {"type": "read_receipt", "conversation_id": bad},
    "read_receipt sender_id": lambda bad, ids: {"type": "read_receipt", "sender_id": bad},
    "read_receipt up_to_id": lambda bad, ids: {"type": "read_receipt", "sender_id": ids["bob"], "up_to_id": bad},
    "delivery_receipt message_id": lambda bad, ids: {"type": "delivery_receipt", "message_id": bad},
    "delivery_receipt message_ids": lambda bad, ids: {"type": "delivery_receipt", "message_ids": [bad]},
    "get_online_status user_id": lambda bad, ids: {"type": "get_online_status", "user_id": bad},
}
NOTIFICATION_FRAMES = {
    "mark_read notification_id": lambda bad: {"type": "mark_read", "notification_id": bad},
    "dismiss notification_id": lambda bad: {"type": "dismiss", "notification_id": bad},
}


@pytest.fixture
def conversation(stack, make_user):
    """Alice and Bob with a message from Bob to Alice, and an unread notification of Alice's."""
    alice, bob = make_user("Alice"), make_user("Bob")
    sent = bob.rest(stack).post(CHATS, {"receiver_id": alice.id, "message": "hello", "temp_id": "ids-1"})
    assert sent.status_code == 201, sent.text
    notification = InAppNotification.objects.create(recipient_id=alice.id, notification_type="notice", title="t",
                                                     message="m")
    return alice, bob, {"bob": bob.id, "message": sent.json()["id"], "conversation": sent.json()["conversation_id"],
                        "notification": notification.pk}


def stored_state() -> tuple:
    """What a wrongly accepted id could have changed."""
    return (list(ChatMessage.objects.order_by("id").values_list("id", "receiver_id", "is_read")),
            Conversation.objects.count(),
            list(InAppNotification.objects.order_by("id").values_list("id", "is_read", "is_dismissed")))


@pytest.mark.parametrize("field", CHAT_FRAMES)
async def test_a_chat_frame_with_a_non_ascii_digit_id_is_a_validation_error(stack, conversation, ws, field):
    alice, _, ids = conversation
    socket = await ws(alice)
    name = field.split()[1]
    before = stored_state()

    for bad in NOT_ASCII_IDS:
        reply = await socket.request(CHAT_FRAMES[field](bad, ids), "error")
        assert (reply["code"], reply["error"]) == ("validation_error", f"{name} must be a positive integer"), bad

    assert await socket.request({"type": "ping"}, "pong")
    assert stored_state() == before


@pytest.mark.parametrize("field", NOTIFICATION_FRAMES)
async def test_a_notification_frame_with_a_non_ascii_digit_id_is_a_validation_error(stack, conversation, ws, field):
    alice, _, ids = conversation
    socket = await ws(alice, "/ws/notifications/")
    before = stored_state()

    for bad in NOT_ASCII_IDS:
        reply = await socket.request(NOTIFICATION_FRAMES[field](bad), "error")
        assert (reply["code"], reply["error"]) == ("validation_error", "notification_id must be a positive integer"), bad

    assert stored_state() == before


REST_REQUESTS = {
    "send receiver_id": lambda bad, ids: ("post", CHATS, {"json": {"receiver_id": bad, "message": "hi"}}),
    "send attachment_id": lambda bad, ids: ("post", CHATS, {"json": {"receiver_id": ids["bob"], "attachment_id": bad}}),
    "multipart send receiver_id": lambda bad, ids: ("post", CHATS, {
        "data": {"receiver_id": bad, "message": "hi"}, "files": {"attachment": ("a.txt", b"text", "text/plain")}}),
    "list conversation": lambda bad, ids: ("get", CHATS, {"params": {"conversation": bad}}),
    "list sender": lambda bad, ids: ("get", CHATS, {"params": {"sender": bad}}),
    "list receiver": lambda bad, ids: ("get", CHATS, {"params": {"receiver": bad}}),
    "history path user_id": lambda bad, ids: ("get", f"{CHATS}conversation/{bad}/", {}),
    "history before_id": lambda bad, ids: ("get", f"{CHATS}conversation/{ids['bob']}/", {"params": {"before_id": bad}}),
    "history limit": lambda bad, ids: ("get", f"{CHATS}conversation/{ids['bob']}/", {"params": {"limit": bad}}),
    "history offset": lambda bad, ids: ("get", f"{CHATS}conversation/{ids['bob']}/", {"params": {"offset": bad}}),
    "mark-read message_ids": lambda bad, ids: ("post", f"{CHATS}mark-read/", {"json": {"message_ids": [ids["message"], bad]}}),
    "mark-read conversation_id": lambda bad, ids: ("post", f"{CHATS}mark-read/", {"json": {"conversation_id": bad}}),
    "mark-read sender_id": lambda bad, ids: ("post", f"{CHATS}mark-read/", {"json": {"sender_id": bad}}),
    "mark-read up_to_id": lambda bad, ids: ("post", f"{CHATS}mark-read/", {"json": {"sender_id": ids["bob"], "up_to_id": bad}}),
    "typing receiver_id": lambda bad, ids: ("post", f"{CHATS}typing/", {"json": {"receiver_id": bad}}),
    "download path attachment_id": lambda bad, ids: ("get", f"{CHATS}attachments/{bad}/download/", {}),
    "notification mark-read path id": lambda bad, ids: ("post", f"{NOTIFICATIONS_API}{bad}/mark-read/", {}),
    "notification dismiss path id": lambda bad, ids: ("delete", f"{NOTIFICATIONS_API}{bad}/dismiss/", {}),
    "notification mark-read-by-object related_object_id": lambda bad, ids: (
        "post", f"{NOTIFICATIONS_API}mark-read-by-object/", {"json": {"related_object_type": "erp.invoice",
                                                                      "related_object_id": bad}}),
}


@pytest.mark.parametrize("endpoint", REST_REQUESTS)
def test_a_rest_request_with_a_non_ascii_digit_id_is_a_400(stack, conversation, endpoint):
    alice, _, ids = conversation
    client = alice.rest(stack)
    before = stored_state()

    for bad in NOT_ASCII_IDS:
        method, path, arguments = REST_REQUESTS[endpoint](bad, ids)
        response = client.session.request(method, stack.http_url + path, timeout=15, **arguments)
        assert response.status_code == 400, (bad, response.status_code, response.text)
        assert response.json()["code"] == "validation_error", (bad, response.text)

    assert stored_state() == before


@pytest.mark.parametrize("bad", NOT_ASCII_IDS)
def test_notify_refuses_a_non_ascii_digit_recipient_or_object_id(make_user, bad):
    alice = make_user()
    for arguments in ({"recipients": [bad]}, {"recipients": [alice.id], "related_object": ("erp.invoice", bad)}):
        with pytest.raises(ValidationFailed, match="must be a positive integer"):
            notification_services.notify(**arguments, notification_type="notice", title="t", message="m")


async def test_ascii_digit_strings_are_still_ids(stack, conversation, ws):
    alice, bob, ids = conversation
    socket = await ws(alice)

    reply = await socket.request({"type": "read_receipt", "sender_id": f" {bob.id} ", "up_to_id": str(ids["message"])},
                                 "read_receipt_sent")
    history = alice.rest(stack).get(f"{CHATS}conversation/{bob.id}/", params={"before_id": str(ids["message"] + 1)})

    assert reply["count"] == 1
    assert history.status_code == 200 and [m["id"] for m in history.json()["messages"]] == [ids["message"]]
