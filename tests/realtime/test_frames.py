"""The frame catalogue (`realtime/frames.py`): every builder's frame is one that docs/asyncapi.yaml
describes, the catalogue has a builder for every frame the document lists, and no other module
writes a frame itself."""
from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from realtime import frames
from tests.support.asyncapi import SERVER_TO_CLIENT, contract, server_frame_violations

ROOT = Path(__file__).resolve().parents[2]
CHAT, NOTIFICATIONS = "/ws/chat/", "/ws/notifications/"
AT, EARLIER = "2026-01-12T10:30:00.123Z", "2026-01-12T09:00:00.000Z"

MESSAGE = {
    "id": 42, "conversation_id": 7, "sender": 1, "sender_id": 1, "sender_name": "Alice", "sender_avatar": None,
    "receiver": 2, "receiver_id": 2, "receiver_name": "Bob", "message": "Hi 👋", "attachment": None,
    "attachment_type": None, "is_read": False, "read_at": None, "delivered_at": None, "timestamp": AT,
    "temp_id": "t-1", "reply_to": None, "edited_at": None, "deleted_at": None, "reactions": [],
}
ATTACHED_REPLAYED = {**MESSAGE, "message": "", "attachment": "/api/v1/communication/chats/attachments/9/download/",
                     "attachment_type": "image", "delivered_at": AT, "temp_id": None}
REPLY_EDITED_WITH_REACTIONS = {**MESSAGE, "id": 43, "temp_id": None, "edited_at": AT,
                               "reply_to": {"id": 42, "sender_id": 1, "message": "", "deleted": True},
                               "reactions": [{"emoji": "👍🏽", "user_ids": [1, 2]}, {"emoji": "🇫🇷", "user_ids": [2]}]}
NOTIFICATION = {
    "id": 9, "notification_type": "assignment", "title": "New assignment", "message": "Essay due Friday",
    "link": "/courses/3/assignments/12", "icon": None, "color": None, "priority": "high", "is_read": False,
    "created_at": AT, "time_ago": "just now", "related_object_type": "assignment", "related_object_id": 12,
    "data": {"course_id": 3}, "count": 1, "resolved_at": None, "expires_at": None, "requires_ack": False,
    "acknowledged_at": None,
}
SAFETY_NOTICE = {**NOTIFICATION, "notification_type": "notice", "priority": "urgent", "count": 3, "expires_at": AT,
                 "requires_ack": True, "acknowledged_at": AT, "resolved_at": AT}

# (socket, builder, arguments): each builder, with its optional fields absent and present.
CATALOGUE = [
    (CHAT, frames.connection, {"user_id": 1, "last_seq": 0}),
    (NOTIFICATIONS, frames.connection, {"user_id": 1, "last_seq": 17, "unread_count": 0}),
    (CHAT, frames.resumed, {"since": 3, "last_seq": 9}),
    (NOTIFICATIONS, frames.resumed, {"since": 0, "last_seq": 0}),
    (CHAT, frames.resync_required, {"since": 10, "oldest_seq": 1, "last_seq": 9}),
    (NOTIFICATIONS, frames.resync_required, {"since": 0, "oldest_seq": 4, "last_seq": 9}),
    (CHAT, frames.with_seq, {"frame": frames.message(MESSAGE), "seq": 12}),
    (CHAT, frames.replayed, {"frame": frames.with_seq(frames.message(MESSAGE), 12)}),
    (NOTIFICATIONS, frames.replayed, {"frame": frames.with_seq(frames.notification(NOTIFICATION), 3)}),
    (CHAT, frames.message, {"payload": REPLY_EDITED_WITH_REACTIONS}),
    (CHAT, frames.message_edited, {"message_id": 42, "conversation_id": 7, "text": "Hi 👋🏽", "edited_at": AT}),
    (CHAT, frames.message_deleted, {"message_id": 42, "conversation_id": 7, "deleted_at": AT}),
    (CHAT, frames.reaction, {"message_id": 42, "conversation_id": 7, "user_id": 2, "emoji": "👩‍👩‍👧‍👦", "added": True}),
    (CHAT, frames.reaction, {"message_id": 42, "conversation_id": 7, "user_id": 2, "emoji": "1️⃣", "added": False}),
    (CHAT, frames.pong, {}),
    (NOTIFICATIONS, frames.pong, {}),
    (CHAT, frames.error, {"error": "receiver_id is required", "code": "validation_error"}),
    (CHAT, frames.error, {"error": "temp_id was already used for a different message", "code": "conflict",
                          "temp_id": "t-1"}),
    (NOTIFICATIONS, frames.error, {"error": "Authentication failed", "code": "auth_failed"}),
    (CHAT, frames.as_reply, {"frame": frames.message(MESSAGE), "reply_type": "message_sent"}),
    (CHAT, frames.message, {"payload": MESSAGE}),
    (CHAT, frames.message, {"payload": ATTACHED_REPLAYED}),
    (CHAT, frames.message_sent, {"payload": MESSAGE}),
    (CHAT, frames.delivery_receipt, {"message_id": 42, "conversation_id": 7, "delivered_at": AT}),
    (CHAT, frames.read_receipt, {"message_id": 42, "conversation_id": 7, "reader_id": 2, "reader_name": "Bob",
                                 "read_at": AT}),
    (CHAT, frames.read_receipt_sent, {"count": 0}),
    (CHAT, frames.chat_unread_count, {"total_unread": 4, "conversation_id": 7, "unread_count": 1}),
    (CHAT, frames.typing_indicator, {"sender_id": 1, "sender_name": "Alice", "is_typing": True}),
    (CHAT, frames.typing_indicator, {"sender_id": 1, "sender_name": "", "is_typing": False}),
    (CHAT, frames.online_status, {"user_id": 2, "is_online": True, "last_seen": AT}),
    (CHAT, frames.online_status, {"user_id": 2, "is_online": False, "last_seen": None}),
    (CHAT, frames.online_status_changed, {"user_id": 2, "is_online": True}),
    (CHAT, frames.online_status_changed, {"user_id": 2, "is_online": False, "last_seen": EARLIER}),
    (CHAT, frames.online_status_changed, {"user_id": 2, "is_online": False}),
    (NOTIFICATIONS, frames.notification, {"payload": NOTIFICATION}),
    (NOTIFICATIONS, frames.notification, {"payload": {**NOTIFICATION, "link": None, "related_object_type": None,
                                                      "related_object_id": None, "data": None}}),
    (NOTIFICATIONS, frames.notification_read, {"notification_id": 9, "unread_count": 4}),
    (NOTIFICATIONS, frames.all_notifications_read, {"count": 4, "unread_count": 0}),
    (NOTIFICATIONS, frames.notifications_unread_count, {"count": 5}),
    (NOTIFICATIONS, frames.notification_update_read, {"notification_id": 9, "read_at": AT, "unread_count": 4}),
    (NOTIFICATIONS, frames.notification_update_read, {"notification_id": 9, "read_at": None, "unread_count": 4}),
    (NOTIFICATIONS, frames.notification_update_all_read, {"count": 4, "read_at": AT, "unread_count": 0}),
    (NOTIFICATIONS, frames.notification_update_dismissed, {"notification_id": 9, "unread_count": 3}),
    (NOTIFICATIONS, frames.notification_update_all_dismissed, {"count": 5, "unread_count": 0}),
    (NOTIFICATIONS, frames.notification, {"payload": SAFETY_NOTICE, "reminder": True}),
    (NOTIFICATIONS, frames.notification_update_resolved, {"notification_id": 9, "reason": "Approved by Alice",
                                                          "resolved_at": AT, "unread_count": 2}),
    (NOTIFICATIONS, frames.notification_update_acknowledged, {"notification_id": 9, "acknowledged_at": AT,
                                                              "unread_count": 1}),
]


def built(socket: str) -> set[str]:
    return {builder(**arguments)["type"] for address, builder, arguments in CATALOGUE if address == socket}


def documented(socket: str) -> set[str]:
    return set(contract().validators[(socket, SERVER_TO_CLIENT)])


@pytest.mark.parametrize(("socket", "builder", "arguments"), CATALOGUE,
                         ids=[f"{builder.__name__}-{index}" for index, (_, builder, _) in enumerate(CATALOGUE)])
def test_every_builder_makes_a_frame_the_document_describes(socket, builder, arguments):
    frame = builder(**arguments)

    assert server_frame_violations(socket, frame) == []


def test_the_catalogue_has_a_builder_for_every_frame_each_socket_sends():
    assert built(CHAT) == documented(CHAT)
    assert built(NOTIFICATIONS) == documented(NOTIFICATIONS)


def test_every_builder_is_checked_above():
    builders = {function for name, function in inspect.getmembers(frames, inspect.isfunction)
                if function.__module__ == frames.__name__ and not name.startswith("_")}

    assert builders == {builder for _, builder, _ in CATALOGUE}


def test_optional_fields_are_left_out_rather_than_sent_as_null():
    assert "temp_id" not in frames.error("Receiver not found", code="not_found")
    assert "unread_count" not in frames.connection(user_id=1, last_seq=0)
    assert "last_seen" not in frames.online_status_changed(user_id=2, is_online=True)
    assert frames.online_status_changed(user_id=2, is_online=False)["last_seen"] is None


def test_the_sending_sockets_copy_of_a_new_message_is_its_message_sent():
    assert frames.as_reply(frames.message(MESSAGE), "message_sent") == frames.message_sent(MESSAGE)


# Every package of the project; a frame's `"type": "..."` written anywhere in them but the catalogue
# is a frame built by hand. ASGI and channel-layer events ("websocket.send", "push.frames",
# "socket.control", "noop") and JSON-schema types are not frame types, and a computed `type` is
# the catalogue's alone too.
PACKAGES = ["core", "realtime", "presence", "notifications", "chat", "workers", "web", "config"]
TYPE_ENTRY = re.compile(r'"type":\s*(?:"([^"]*)"|(?=[^"\s]))')


def test_no_module_but_the_catalogue_writes_a_frame():
    frame_types = documented(CHAT) | documented(NOTIFICATIONS)
    handmade = [
        f"{source.relative_to(ROOT)}:{text[:match.start()].count(chr(10)) + 1}: {match.group(0)}"
        for package in PACKAGES
        for source in sorted((ROOT / package).rglob("*.py"))
        if source != ROOT / "realtime" / "frames.py" and "node_modules" not in source.parts
        for text in [source.read_text()]
        for match in TYPE_ENTRY.finditer(text)
        if match.group(1) is None or match.group(1) in frame_types
    ]

    assert handmade == []
