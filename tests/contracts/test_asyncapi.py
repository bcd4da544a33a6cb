"""docs/asyncapi.yaml: consistent, true to the consumers, and strict enough to catch a wrong frame.

The end-to-end tests check every frame they receive against it (tests/support/ws.py); these tests
check the document itself and the client frames.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from chat.consumers import ChatConsumer
from notifications.consumers import NotificationConsumer
from tests.support.asyncapi import (
    CLIENT_TO_SERVER,
    SERVER_TO_CLIENT,
    client_frame_violations,
    contract,
    server_frame_violations,
)

ROOT = Path(__file__).resolve().parents[2]
CHAT, NOTIFICATIONS = "/ws/chat/", "/ws/notifications/"
# Frame literals in the code that pushes to sockets (the catalogue, realtime/frames.py, writes them
# all: tests/realtime/test_frames.py); channel-layer events and schema types are not frames.
APP_DIRS = ["chat", "core", "notifications", "presence", "realtime", "workers"]
FRAME_LITERAL = re.compile(r'"type":\s*"([a-z_]+)"')
NOT_FRAMES = {"noop", "integer", "string", "object", "array", "boolean", "number"}


def documented_types(address: str, action: str) -> set[str]:
    return set(contract().validators[(address, action)])


def test_both_sockets_are_described_in_both_directions():
    assert contract().addresses() == {CHAT, NOTIFICATIONS}
    for address in (CHAT, NOTIFICATIONS):
        assert documented_types(address, SERVER_TO_CLIENT) and documented_types(address, CLIENT_TO_SERVER)


def test_every_client_frame_a_consumer_handles_is_documented_and_nothing_more():
    assert documented_types(CHAT, CLIENT_TO_SERVER) == set(ChatConsumer.frame_handlers)
    assert documented_types(NOTIFICATIONS, CLIENT_TO_SERVER) == set(NotificationConsumer.frame_handlers)


def test_every_frame_type_the_code_sends_is_documented():
    documented = documented_types(CHAT, SERVER_TO_CLIENT) | documented_types(NOTIFICATIONS, SERVER_TO_CLIENT)
    sent = {
        frame_type
        for directory in APP_DIRS
        for source in (ROOT / directory).rglob("*.py")
        if "migrations" not in source.parts
        for frame_type in FRAME_LITERAL.findall(source.read_text())
    } - NOT_FRAMES

    assert sent <= documented, sent - documented


def test_every_channel_message_is_used_by_an_operation():
    document = contract().document
    for name, channel in document["channels"].items():
        used = {
            reference["$ref"].rsplit("/", 1)[1]
            for operation in document["operations"].values()
            if operation["channel"]["$ref"] == f"#/channels/{name}"
            for reference in operation["messages"]
        }
        assert used == set(channel["messages"]), name


def examples(action: str):
    document = contract().document
    for operation in document["operations"].values():
        if operation["action"] != action:
            continue
        address = contract().resolve(operation["channel"]["$ref"])["address"]
        for reference in operation["messages"]:
            message = contract().resolve(contract().final_pointer(reference["$ref"]))
            for example in message.get("examples", []):
                yield address, message["name"], example["payload"]


@pytest.mark.parametrize("action", [SERVER_TO_CLIENT, CLIENT_TO_SERVER])
def test_every_message_has_examples_and_they_conform(action):
    check = server_frame_violations if action == SERVER_TO_CLIENT else client_frame_violations
    seen = set()
    for address, name, payload in examples(action):
        seen.add((address, name))
        assert payload["type"] == name
        assert check(address, payload) == []
    assert seen == {(address, name) for address in (CHAT, NOTIFICATIONS) for name in documented_types(address, action)}


@pytest.mark.parametrize(
    ("address", "frame"),
    [
        (CHAT, {"type": "message", "receiver_id": 2, "message": "hi 👋", "temp_id": "t-1"}),
        (CHAT, {"receiver_id": "2", "message": "no type is a message"}),
        (CHAT, {"type": "message", "receiver_id": 2, "attachment_id": 5}),
        (CHAT, {"type": "typing", "receiver_id": 2}),
        (CHAT, {"type": "read_receipt", "sender_id": 2}),
        (CHAT, {"type": "read_receipt", "conversation_id": 7, "up_to_id": "42"}),
        (CHAT, {"type": "delivery_receipt", "message_id": 7}),
        (CHAT, {"type": "get_online_status", "user_id": 2}),
        (CHAT, {"type": "ping"}),
        (NOTIFICATIONS, {"type": "mark_read", "notification_id": "9"}),
        (NOTIFICATIONS, {"type": "mark_all_read"}),
        (NOTIFICATIONS, {"type": "dismiss", "notification_id": 9}),
    ],
)
def test_good_client_frames_conform(address, frame):
    assert client_frame_violations(address, frame) == []


@pytest.mark.parametrize(
    ("address", "frame"),
    [
        (CHAT, {"type": "message", "message": "to nobody"}),
        (CHAT, {"type": "message", "receiver_id": 2}),
        (CHAT, {"type": "message", "receiver_id": 2, "message": "x", "temp_id": "t" * 65}),
        (CHAT, {"type": "message", "receiver_id": "abc", "message": "x"}),
        (CHAT, {"type": "typing", "receiver_id": 2, "is_typing": "yes"}),
        (CHAT, {"type": "read_receipt"}),
        (CHAT, {"type": "read_receipt", "sender_id": 2, "conversation_id": 3}),
        (CHAT, {"type": "read_receipt", "message_ids": [41], "up_to_id": 42}),
        (CHAT, {"type": "read_receipt", "sender_id": 2, "up_to_id": "latest"}),
        (CHAT, {"type": "delivery_receipt"}),
        (CHAT, {"type": "dance"}),
        (NOTIFICATIONS, {"type": "mark_read"}),
        (NOTIFICATIONS, {"type": "message", "receiver_id": 2, "message": "wrong socket"}),
        (CHAT, ["not", "an", "object"]),
    ],
)
def test_bad_client_frames_do_not_conform(address, frame):
    assert client_frame_violations(address, frame)


@pytest.mark.parametrize(
    ("address", "frame"),
    [
        (CHAT, {"type": "message_sent", "id": 1, "conversation_id": 1}),
        (CHAT, {"type": "typing_indicator", "sender_id": 1, "sender_name": "A", "is_typing": True,
                "timestamp": "2026-01-12 10:30:00"}),
        (CHAT, {"type": "read_receipt_sent", "count": "3"}),
        (CHAT, {"type": "error", "error": "boom"}),
        (CHAT, {"type": "error", "error": "boom", "code": "exploded"}),
        (CHAT, {"type": "notification", "notification": {}}),
        (NOTIFICATIONS, {"type": "notification_update", "event": "dismissed", "unread_count": 0}),
        (NOTIFICATIONS, {"type": "unread_count", "total_unread": 1, "conversation_id": 1, "unread_count": 1}),
    ],
)
def test_the_checker_catches_wrong_server_frames(address, frame):
    assert server_frame_violations(address, frame)
