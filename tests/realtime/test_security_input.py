"""Hostile input: refused by the server before the application reads it, refused with an error
frame, or stored as inert data; the socket (where it stays open) and other users are unaffected."""
from __future__ import annotations

import asyncio
import contextlib

import pytest
import websockets
from django.conf import settings
from django.db import connection

from chat.models import ChatMessage

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LIMIT = settings.CHAT_MAX_FRAME_BYTES

HOSTILE_TEXTS = [
    "<script>alert(document.cookie)</script>",
    '"><img src=x onerror=alert(1)><svg/onload=alert(2)>',
    "javascript:alert(1)//",
    "'; DROP TABLE chat_message; --",
    "Robert'); DELETE FROM auth_user WHERE ('1'='1",
    "1 OR 1=1; SELECT pg_sleep(10); --",
    "{{7*7}} ${7*7} %s %(id)s %n",
    "\u202eevil.exe\u202c RTL override, \u200b zero width, 👩🏽‍💻 emoji",
]


def frame_of(size: int, receiver_id: int) -> str:
    """A valid message frame of exactly `size` bytes."""
    head, tail = f'{{"type":"message","receiver_id":{receiver_id},"message":"', '"}'
    return head + "a" * (size - len(head) - len(tail)) + tail


@pytest.fixture
async def bystanders(stack, make_user, ws):
    """Two other users who keep chatting while the hostile input arrives."""
    carol, dave = make_user("Carol"), make_user("Dave")
    carol_ws, dave_ws = await ws(carol), await ws(dave)

    async def still_served(label: str) -> None:
        await carol_ws.send({"receiver_id": dave.id, "message": f"still fine after {label}", "temp_id": label})
        await carol_ws.expect("message_sent", lambda f: f["temp_id"] == label)
        await dave_ws.expect("message", lambda f: f["message"] == f"still fine after {label}")

    return still_served


@pytest.mark.parametrize("size", [LIMIT + 1, 10 * 1024 * 1024], ids=["limit+1", "10MiB"])
async def test_an_oversized_frame_is_refused_by_the_server_with_1009(stack, make_user, ws, bystanders, size):
    alice, bob = make_user(), make_user()
    alice_ws = await ws(alice)

    with contextlib.suppress(websockets.ConnectionClosed):  # a 10 MiB send is cut off part-way
        await alice_ws.send(frame_of(size, bob.id))

    assert await alice_ws.wait_closed() == 1009
    # The application never saw it: it would have answered `too_large` and kept the socket.
    assert not [frame for frame in alice_ws.frames if frame["type"] == "error"]
    assert not ChatMessage.objects.filter(sender_id=alice.id).exists()
    await bystanders(f"{size} bytes")


async def test_a_frame_at_the_limit_reaches_the_application(stack, make_user, ws):
    alice, bob = make_user(), make_user()
    alice_ws = await ws(alice)

    await alice_ws.send(frame_of(LIMIT, bob.id))

    assert (await alice_ws.expect("error"))["code"] == "too_large"
    await alice_ws.request({"type": "ping"}, "pong")


MALFORMED = [
    ("deeply nested JSON", "[" * 20_000 + "]" * 20_000, "invalid_json"),
    ("nesting past the parser's depth", '{"type":"message","x":' + "{\"a\":" * 2000 + "1" + "}" * 2000 + "}", "invalid_json"),
    ("nested value where text belongs", '{"type":"message","receiver_id":2,"message":' + "[" * 500 + "]" * 500 + "}",
     "validation_error"),
    ("lone surrogate escape", '{"type":"message","receiver_id":2,"message":"\\ud800"}', "invalid_json"),
    ("NUL in the text", '{"type":"message","receiver_id":2,"message":"a\\u0000b"}', "validation_error"),
    ("NUL in the temp_id", '{"type":"message","receiver_id":2,"message":"hi","temp_id":"t\\u0000"}', "validation_error"),
    ("invalid UTF-8 in a binary frame", b"\xff\xfe\xfd", "invalid_frame"),
]


@pytest.mark.parametrize(("label", "payload", "code"), MALFORMED, ids=[label for label, _, _ in MALFORMED])
async def test_malformed_input_gets_an_error_frame_and_the_socket_keeps_working(
        stack, make_user, ws, bystanders, label, payload, code):
    alice, bob = make_user(), make_user()
    alice_ws = await ws(alice)
    if isinstance(payload, str):
        payload = payload.replace('"receiver_id":2', f'"receiver_id":{bob.id}')

    await alice_ws.send(payload)

    assert (await alice_ws.expect("error"))["code"] == code
    await alice_ws.send({"receiver_id": bob.id, "message": "and now a normal one"})
    await alice_ws.expect("message_sent")
    assert list(ChatMessage.objects.filter(sender_id=alice.id).values_list("message", flat=True)) == [
        "and now a normal one"]
    await bystanders(label)


async def test_invalid_utf8_in_a_text_frame_is_refused_by_the_server_with_1007(stack, make_user, ws, bystanders):
    alice = make_user()
    alice_ws = await ws(alice)

    await alice_ws.connection.send(b'{"message":"\xff\xfe"}', text=True)

    assert await alice_ws.wait_closed() == 1007
    assert not [frame for frame in alice_ws.frames if frame["type"] == "error"]
    await bystanders("invalid UTF-8")


async def test_script_and_sql_text_is_stored_and_returned_as_inert_data(stack, make_user, ws, bystanders):
    alice, bob = make_user(), make_user()
    alice_ws, bob_ws = await ws(alice), await ws(bob)

    for number, text in enumerate(HOSTILE_TEXTS):
        await alice_ws.send({"receiver_id": bob.id, "message": text, "temp_id": f"h{number}"})
    received = [await bob_ws.expect("message", lambda f, t=text: f["message"] == t) for text in HOSTILE_TEXTS]

    assert [frame["message"] for frame in received] == HOSTILE_TEXTS
    stored = ChatMessage.objects.filter(sender_id=alice.id)
    assert sorted(message.message for message in stored) == sorted(HOSTILE_TEXTS)
    response = bob.rest(stack).get(f"/api/v1/communication/chats/conversation/{alice.id}/")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert sorted(message["message"] for message in response.json()["messages"]) == sorted(HOSTILE_TEXTS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM auth_user")
        assert cursor.fetchone()[0] >= 4
    await bystanders("script and SQL text")


async def test_a_flood_of_bad_frames_leaves_other_users_unaffected(stack, make_user, ws, bystanders):
    alice = make_user()
    alice_ws = await ws(alice)

    await asyncio.gather(*(alice_ws.send("{not json") for _ in range(50)))

    await bystanders("a flood of bad frames")
    errors = [await alice_ws.expect("error") for _ in range(50)]
    assert {error["code"] for error in errors} <= {"invalid_json", "rate_limited"}
