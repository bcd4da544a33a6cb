"""Every kind of bad frame gets an error frame with its code, and the socket keeps working."""
from __future__ import annotations

import pytest

from chat.models import ChatMessage

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


BAD_FRAMES = [
    ("not json", "invalid_json", "Invalid JSON"),
    ("[1, 2, 3]", "invalid_frame", "A frame must be a JSON object"),
    ('"just a string"', "invalid_frame", "A frame must be a JSON object"),
    (b"\x00\x01binary", "invalid_frame", "Binary frames are not supported; send JSON text"),
    ({"type": "dance"}, "unknown_type", "Unknown message type: dance"),
    ({"type": 5}, "unknown_type", "Unknown message type: 5"),
    ({"type": "message", "message": "no receiver"}, "validation_error", "receiver_id is required"),
    ({"type": "message", "receiver_id": "abc", "message": "x"}, "validation_error", "receiver_id must be a positive integer"),
    ({"type": "message", "receiver_id": True, "message": "x"}, "validation_error", "receiver_id must be a number"),
    ({"type": "message", "receiver_id": -3, "message": "x"}, "validation_error", "receiver_id must be a positive integer"),
    ({"type": "message", "receiver_id": 99999999, "message": ""}, "validation_error", "message or attachment is required"),
    ({"type": "message", "receiver_id": 1, "message": {"nested": 1}}, "validation_error", "message must be a string"),
    ({"type": "message", "receiver_id": 1, "message": "x", "temp_id": "t" * 65}, "validation_error",
     "temp_id must be a string of 1 to 64 characters"),
    ({"type": "read_receipt"}, "validation_error", "Provide message_ids, conversation_id, or sender_id"),
    ({"type": "read_receipt", "conversation_id": 1, "sender_id": 2}, "validation_error",
     "Provide message_ids, conversation_id, or sender_id"),
    ({"type": "read_receipt", "message_ids": "1,2"}, "validation_error", "message_ids must be a list of ids"),
    ({"type": "read_receipt", "sender_id": 1, "up_to_id": "latest"}, "validation_error", "up_to_id must be a positive integer"),
    ({"type": "read_receipt", "conversation_id": 1, "up_to_id": 0}, "validation_error", "up_to_id must be a positive integer"),
    ({"type": "read_receipt", "message_ids": [1], "up_to_id": 5}, "validation_error",
     "up_to_id goes with conversation_id or sender_id"),
    ({"type": "delivery_receipt"}, "validation_error", "Provide message_id or message_ids"),
    ({"type": "typing"}, "validation_error", "receiver_id is required"),
    ({"type": "typing", "receiver_id": 1, "is_typing": "yes"}, "validation_error", "is_typing must be true or false"),
    ({"type": "get_online_status"}, "validation_error", "user_id is required"),
    ({"type": "get_online_status", "user_id": 987654321}, "not_found", "User not found"),
    ({"type": "message", "receiver_id": 1, "message": "x", "reply_to_id": "first"}, "validation_error",
     "reply_to_id must be a positive integer"),
    ({"type": "edit_message", "message": "x"}, "validation_error", "message_id is required"),
    ({"type": "edit_message", "message_id": 1}, "validation_error", "message is required"),
    ({"type": "edit_message", "message_id": 1, "message": ["x"]}, "validation_error", "message must be a string"),
    ({"type": "edit_message", "message_id": 987654321, "message": "x"}, "not_found", "Message not found"),
    ({"type": "delete_message", "message_id": "٣"}, "validation_error", "message_id must be a positive integer"),
    ({"type": "delete_message", "message_id": 987654321}, "not_found", "Message not found"),
    ({"type": "react", "message_id": 1, "emoji": "+1"}, "validation_error", "emoji must be one emoji"),
    ({"type": "react", "message_id": 1, "emoji": "👍", "action": "toggle"}, "validation_error",
     'action must be "add" or "remove"'),
    ({"type": "react", "message_id": 987654321, "emoji": "👍"}, "not_found", "Message not found"),
]


@pytest.mark.parametrize(("frame", "code", "error"), BAD_FRAMES, ids=[f"{code}-{i}" for i, (_, code, _) in enumerate(BAD_FRAMES)])
async def test_a_bad_frame_gets_an_error_frame_and_the_socket_keeps_working(stack, make_user, ws, frame, code, error):
    alice, bob = make_user(), make_user()
    alice_ws = await ws(alice)

    await alice_ws.send(frame)
    reply = await alice_ws.expect("error")

    assert reply["code"] == code and reply["error"] == error
    await alice_ws.send({"type": "ping"})
    await alice_ws.expect("pong")
    await alice_ws.send({"receiver_id": bob.id, "message": "still here"})
    await alice_ws.expect("message_sent")


async def test_an_unknown_receiver_is_not_found_and_the_temp_id_is_echoed(stack, make_user, ws):
    alice = make_user()
    alice_ws = await ws(alice)

    await alice_ws.send({"receiver_id": 987654321, "message": "anyone?", "temp_id": "lost-1"})
    reply = await alice_ws.expect("error")

    assert reply == {"type": "error", "error": "Receiver not found", "code": "not_found", "temp_id": "lost-1"}
    assert not ChatMessage.objects.filter(sender_id=alice.id).exists()


async def test_sending_to_yourself_is_a_validation_error(stack, make_user, ws):
    alice = make_user()
    alice_ws = await ws(alice)

    await alice_ws.send({"receiver_id": alice.id, "message": "me", "temp_id": "self"})

    reply = await alice_ws.expect("error")
    assert reply["code"] == "validation_error" and reply["temp_id"] == "self"


async def test_text_over_the_length_limit_is_too_large(stack, make_user, ws, settings):
    alice, bob = make_user(), make_user()
    alice_ws = await ws(alice)

    await alice_ws.send({"receiver_id": bob.id, "message": "x" * (settings.CHAT_MAX_MESSAGE_LENGTH + 1)})

    assert (await alice_ws.expect("error"))["code"] == "too_large"
    assert not ChatMessage.objects.filter(sender_id=alice.id).exists()


async def test_a_frame_over_64_kib_closes_the_socket_with_1009(stack, make_user, ws):
    alice = make_user()
    alice_ws = await ws(alice)

    await alice_ws.send("x" * (64 * 1024 + 1))

    assert await alice_ws.wait_closed() == 1009


async def test_internals_never_reach_the_client(stack, make_user, ws):
    alice = make_user()
    alice_ws = await ws(alice)

    await alice_ws.send({"receiver_id": 2**63, "message": "overflow"})

    reply = await alice_ws.expect("error")
    assert reply["code"] == "validation_error"
    assert "Traceback" not in reply["error"] and "SQL" not in reply["error"]


@pytest.mark.parametrize("token", ["", "not-a-real-token", "0" * 40])
async def test_a_bad_token_gets_an_error_frame_then_close_4001(stack, ws, token):
    client = await ws(None, token=token, expect_connected=False)

    error = await client.expect("error")

    assert error == {"type": "error", "error": "Authentication failed", "code": "auth_failed"}
    assert await client.wait_closed() == 4001


async def test_a_missing_token_is_closed_with_4001(stack, ws):
    client = await ws(None, expect_connected=False)
    assert (await client.expect("error"))["code"] == "auth_failed"
    assert await client.wait_closed() == 4001


async def test_an_inactive_users_token_is_refused(stack, make_user, ws):
    alice = make_user()
    alice.user.is_active = False
    alice.user.save()
    client = await ws(alice, expect_connected=False)
    assert await client.wait_closed() == 4001


async def test_token_and_bearer_prefixes_are_tolerated_in_the_query_string(stack, make_user, ws):
    alice = make_user()
    await ws(None, token=f"Token%20{alice.token}")
    await ws(None, token=f"Bearer%20{alice.token}")
