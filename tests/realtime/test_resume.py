"""A client that was away resumes its streams (docs/websocket-api.md "Resume"): real server and
worker processes, real sockets. Every durable frame kind it missed arrives once, in order."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from chat.models import ChatMessage
from core.timestamps import iso_z
from notifications import services as notifications
from notifications.models import InAppNotification
from realtime import frames, stream
from realtime.models import Event
from tests.support.ws import WsClient, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHAT, NOTIFICATIONS = "/ws/chat/", "/ws/notifications/"
API = "/api/v1/communication/"


async def last_seq_then_away(ws, user, path: str = CHAT) -> int:
    """Connects, reads where the stream stands, and goes away."""
    socket = await ws(user, path, expect_connected=False)
    position = (await socket.expect("connection"))["last_seq"]
    await socket.close()
    return position


async def resumed(ws, user, since: int, path: str = CHAT) -> tuple[WsClient, list[dict]]:
    """Reconnects with `?since=` and returns the socket and the events replayed before `resumed`."""
    socket = await ws(user, f"{path}?since={since}", expect_connected=False)
    await socket.expect("connection")
    end = await socket.expect("resumed")
    replayed = [frame for frame in socket.frames if frame.get("replayed")]
    assert end == {"type": "resumed", "since": since, "last_seq": replayed[-1]["seq"] if replayed else since}
    return socket, replayed


def contiguous_after(since: int, events: list[dict]) -> bool:
    return [event["seq"] for event in events] == list(range(since + 1, since + 1 + len(events)))


async def test_both_people_of_a_conversation_get_every_chat_event_they_missed(stack, make_user, ws):
    alice, bob = make_user("Alice"), make_user("Bob")
    alice_since, bob_since = await last_seq_then_away(ws, alice), await last_seq_then_away(ws, bob)

    sent = alice.rest(stack).post(f"{API}chats/", {"receiver_id": bob.id, "message": "while you were away",
                                                   "temp_id": "away-1"})
    assert sent.status_code == 201, sent.text
    message_id = sent.json()["id"]
    # Bob's phone, a socket without `since`, gets the undelivered message and acknowledges it.
    phone = await ws(bob)
    await phone.expect("message")
    await eventually(lambda: ChatMessage.objects.filter(pk=message_id, delivered_at__isnull=False).exists())
    await phone.close()
    read = bob.rest(stack).post(f"{API}chats/mark-read/", {"message_ids": [message_id]})
    assert read.status_code == 200, read.text

    alice_ws, alice_missed = await resumed(ws, alice, alice_since)
    bob_ws, bob_missed = await resumed(ws, bob, bob_since)

    assert [event["type"] for event in alice_missed] == ["message", "delivery_receipt", "read_receipt"]
    assert all(event["message_id"] == message_id for event in alice_missed[1:]) and alice_missed[0]["id"] == message_id
    assert contiguous_after(alice_since, alice_missed)
    assert [event["type"] for event in bob_missed] == ["message", "unread_count", "unread_count"]
    assert [event.get("unread_count") for event in bob_missed[1:]] == [1, 0]
    assert contiguous_after(bob_since, bob_missed)
    # Nothing twice: the resumed socket gets no pending replay of the message on top.
    await asyncio.sleep(1.0)
    assert [frame["type"] for frame in bob_ws.frames].count("message") == 1

    # Live events go on from there, numbered on.
    await alice_ws.send({"type": "message", "receiver_id": bob.id, "message": "back", "temp_id": "back-1"})
    echo = await alice_ws.expect("message_sent")
    live = await bob_ws.expect("message", lambda frame: "replayed" not in frame)
    assert echo["seq"] == alice_missed[-1]["seq"] + 1 and live["seq"] == bob_missed[-1]["seq"] + 1


async def test_notification_events_are_resumed_too(stack, make_user, ws):
    alice = make_user()
    since = await last_seq_then_away(ws, alice, NOTIFICATIONS)
    notifications.notify([alice.id], notification_type="notice", title="While away", message="one")
    notification_id = await _eventually_one_notification(alice.id)
    assert alice.rest(stack).post(f"{API}notifications/{notification_id}/mark-read/").status_code == 200

    _, missed = await resumed(ws, alice, since, NOTIFICATIONS)

    assert [event["type"] for event in missed] == ["notification", "notification_update"]
    assert missed[0]["notification"]["id"] == missed[1]["notification_id"] == notification_id
    assert contiguous_after(since, missed)


async def _eventually_one_notification(user_id: int) -> int:
    await eventually(lambda: InAppNotification.objects.filter(recipient_id=user_id).exists())
    return await sync_to_async(lambda: InAppNotification.objects.get(recipient_id=user_id).pk)()


async def test_a_resume_frame_on_an_open_socket_replays_from_any_kept_seq(stack, make_user, ws):
    alice, bob = make_user(), make_user()
    alice_ws = await ws(alice)
    for number in range(3):
        await alice_ws.send({"type": "message", "receiver_id": bob.id, "message": f"m{number}", "temp_id": f"m{number}"})
        await alice_ws.expect("message_sent")

    await alice_ws.send({"type": "resume", "since": 1})

    assert (await alice_ws.expect("resumed")) == {"type": "resumed", "since": 1, "last_seq": 3}
    replayed = [frame for frame in alice_ws.frames if frame.get("replayed")]
    assert [(frame["type"], frame["seq"], frame["message"]) for frame in replayed] == [
        ("message", 2, "m1"), ("message", 3, "m2")]


async def test_a_week_old_seq_within_retention_is_resumed_and_one_beyond_it_is_resync_required(stack, make_user, ws):
    alice = make_user()
    week_old = timezone.now() - timedelta(days=6, hours=23)
    receipts = [frames.read_receipt(message_id=number, conversation_id=1, reader_id=alice.id, reader_name="Bob",
                                    read_at=iso_z(week_old)) for number in range(1, 4)]
    stream.record([(alice.id, "chat", receipt) for receipt in receipts])
    Event.objects.filter(user_id=alice.id).update(created_at=week_old)

    _, missed = await resumed(ws, alice, 1)
    assert [(event["seq"], event["message_id"]) for event in missed] == [(2, 2), (3, 3)]

    Event.objects.filter(user_id=alice.id, seq=1).update(created_at=week_old - timedelta(days=1))
    stream.prune(created_before=timezone.now() - timedelta(days=7), batch_size=100, max_batches=1)
    beyond = await ws(alice, f"{CHAT}?since=0", expect_connected=False)
    assert (await beyond.expect("resync_required")) == {"type": "resync_required", "since": 0, "oldest_seq": 2,
                                                        "last_seq": 3}
    listed = alice.rest(stack).get(f"{API}events/", params={"family": "chat", "since": 0})
    assert listed.status_code == 410
    assert listed.json() | {"error": ""} == {"error": "", "code": "resync_required", "oldest_seq": 2, "last_seq": 3}
    listed = alice.rest(stack).get(f"{API}events/", params={"family": "chat", "since": 1})
    assert listed.status_code == 200
    assert listed.json()["last_seq"] == 3 and [event["seq"] for event in listed.json()["events"]] == [2, 3]


@pytest.mark.parametrize("query", ["family=chat&since=-1", "family=chat&since=abc", "family=mail", "since=0",
                                   "family=chat&limit=501", "family=chat&limit=0"])
async def test_a_bad_event_query_is_a_400(stack, make_user, query):
    alice = make_user()
    response = alice.rest(stack).get(f"{API}events/?{query}")
    assert response.status_code == 400 and response.json()["code"] == "validation_error", response.text


@pytest.mark.parametrize("since", ["-1", "x", "1.5"])
async def test_a_bad_since_is_an_error_frame_and_the_socket_goes_on(stack, make_user, ws, since):
    alice = make_user()
    socket = await ws(alice, f"{CHAT}?since={since}")
    assert (await socket.expect("error"))["code"] == "validation_error"
    await socket.request({"type": "resume", "since": "nope"}, "error")
    await socket.request({"type": "ping"}, "pong")
