"""The event stream against faults (docs/websocket-api.md "Resume"), with real server and worker
processes on a private Redis: a client whose server was killed with -9 resumes on another and
gets every event it missed, once and in order; an event that never reached an open socket live
(a lost publish, a dropped subscription) reaches it anyway, without a reconnect."""
from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async

from chat.models import ChatMessage
from notifications import services as notifications
from notifications.models import InAppNotification
from realtime import frames, stream
from realtime.models import Event
from tests.faults.clients import connect, wait_for
from tests.faults.infra import FreezableProxy
from tests.support.ws import WsClient

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

API = "/api/v1/communication/"
CHAT, NOTIFICATIONS = "/ws/chat/", "/ws/notifications/"


def stored_events(user_id: int, family: str, since: int) -> list[tuple[int, str]]:
    return list(Event.objects.filter(user_id=user_id, family=family, seq__gt=since).order_by("seq")
                .values_list("seq", "frame__type"))


async def resume(server, user, path: str, since: int) -> list[dict]:
    """Opens a socket with `?since=` and returns the events replayed before `resumed`."""
    socket = await WsClient.connect(server.ws_url, f"{path}?since={since}", user.token, open_timeout=10)
    await socket.expect("resumed", timeout=30)
    await socket.close()
    return [frame for frame in socket.frames if frame.get("replayed")]


async def test_a_client_whose_server_was_killed_resumes_on_another_and_misses_nothing(fault_stack, make_user):
    alice, bob = make_user("Alice"), make_user("Bob")
    fault_stack.worker()
    doomed, survivor = fault_stack.server("asgi-doomed"), fault_stack.server("asgi-survivor")
    bob_chat = await connect(doomed.ws_url, bob.token)
    bob_notifications = await WsClient.connect(doomed.ws_url, NOTIFICATIONS, bob.token)
    await bob_notifications.expect("connection")
    await bob_chat.send({"type": "message", "receiver_id": alice.id, "message": "are you there?", "temp_id": "b1"})
    asked = await bob_chat.expect("message_sent")
    chat_since, notifications_since = asked["seq"], 0

    doomed.kill()
    # Everything that happens next reaches Bob only through his streams.
    alice_chat = await connect(survivor.ws_url, alice.token)  # her socket takes Bob's message: delivered
    await alice_chat.expect("message")
    await wait_for(lambda: ChatMessage.objects.filter(pk=asked["id"], delivered_at__isnull=False).exists(),
                   timeout=30, what="Bob's message to be delivered")
    assert alice.rest(survivor).post(f"{API}chats/mark-read/", {"message_ids": [asked["id"]]}).status_code == 200
    for number in range(3):
        answer = alice.rest(survivor).post(f"{API}chats/", {"receiver_id": bob.id, "message": f"yes {number}",
                                                             "temp_id": f"a{number}"})
        assert answer.status_code == 201, answer.text
    # As a worker stores a notification (the test process's broker is not the stack's).
    notifications.create_notifications(recipient_ids=[bob.id], dedupe_key="server-down", content=(
        notifications.validated_content(notification_type="notice", title="While your server was down", message="")))
    notification_id = InAppNotification.objects.get(recipient_id=bob.id).pk
    assert bob.rest(survivor).post(f"{API}notifications/{notification_id}/mark-read/").status_code == 200

    chat_missed = await resume(survivor, bob, CHAT, chat_since)
    notifications_missed = await resume(survivor, bob, NOTIFICATIONS, notifications_since)

    assert [(event["seq"], event["type"]) for event in chat_missed] == stored_events(bob.id, "chat", chat_since)
    assert [event["type"] for event in chat_missed] == [
        "delivery_receipt", "read_receipt", *["message", "unread_count"] * 3]
    assert [event["message"] for event in chat_missed if event["type"] == "message"] == ["yes 0", "yes 1", "yes 2"]
    assert [(event["seq"], event["type"]) for event in notifications_missed] == [
        (1, "notification"), (2, "notification_update")]
    print(f"\nserver killed with -9: Bob resumed {len(chat_missed)} chat and {len(notifications_missed)} "
          "notification events on the other server, each once, in order")
    await alice_chat.close()


async def record_without_pushing(user_id: int, count: int) -> list[int]:
    """Events committed whose live push was lost (as when a publish fails or a subscription drops)."""
    receipts = [frames.read_receipt(message_id=number + 1, conversation_id=1, reader_id=user_id, reader_name="Bob",
                                    read_at="2026-01-12T10:30:00.123Z") for number in range(count)]
    return await sync_to_async(stream.record)([(user_id, "chat", receipt) for receipt in receipts])


async def test_an_event_lost_on_the_live_path_reaches_the_open_socket_anyway(fault_stack, make_user):
    """The last event lost: the server's periodic check finds it. A lost event followed by
    another: the hole is filled at once. The socket stays open throughout."""
    alice, bob = make_user("Alice"), make_user("Bob")
    fault_stack.worker()
    server = fault_stack.server(WS_STREAM_CHECK_SECONDS="1")
    bob_chat = await connect(server.ws_url, bob.token)
    alice_chat = await connect(server.ws_url, alice.token)
    await asyncio.sleep(1.5)  # the server's watch runs

    lost_last = await record_without_pushing(bob.id, 2)
    await wait_for(lambda: {frame.get("seq") for frame in bob_chat.frames} >= set(lost_last), timeout=10,
                   what="the periodic check to write the lost events")

    lost_before = await record_without_pushing(bob.id, 1)
    await alice_chat.send({"type": "message", "receiver_id": bob.id, "message": "after a lost one", "temp_id": "x1"})
    live = await bob_chat.expect("message", timeout=15)
    seqs = [frame["seq"] for frame in bob_chat.frames if "seq" in frame]

    assert live["seq"] == lost_before[0] + 1
    assert seqs == list(range(1, len(seqs) + 1)), seqs  # nothing skipped, nothing twice, in order
    assert bob_chat.close_code is None
    print(f"\nlost on the live path: Bob's open socket got every event anyway, seq 1..{seqs[-1]}")
    await bob_chat.close()
    await alice_chat.close()


def chat_seqs(socket: WsClient) -> list[int]:
    return [frame["seq"] for frame in socket.frames if "seq" in frame]


async def test_a_cut_subscription_loses_nothing_on_the_open_socket(fault_stack, make_user):
    """Redis drops the server's pub/sub connection; redis-py makes it again by itself, and what
    was published meanwhile is gone from the live path. Bob's socket stays open and ends with
    every event, in order."""
    alice, bob = make_user("Alice"), make_user("Bob")
    fault_stack.worker()
    server = fault_stack.server(WS_STREAM_CHECK_SECONDS="1")
    bob_chat = await connect(server.ws_url, bob.token)

    killed = fault_stack.redis.client().client_kill_filter(_type="pubsub")
    for number in range(3):
        answer = await asyncio.to_thread(alice.rest(server).post, f"{API}chats/", {
            "receiver_id": bob.id, "message": f"through the cut {number}", "temp_id": f"cut{number}"})
        assert answer.status_code in (201, 202), answer.text
    expected = await sync_to_async(lambda: [seq for seq, _ in stored_events(bob.id, "chat", 0)])()
    await wait_for(lambda: chat_seqs(bob_chat)[-len(expected):] == expected, timeout=30,
                   what="every event on the open socket")

    assert chat_seqs(bob_chat) == list(range(1, len(chat_seqs(bob_chat)) + 1))
    assert len(expected) == 6 and bob_chat.close_code is None
    print(f"\npub/sub cut ({killed} connections killed): Bob's open socket has all {len(expected)} events, in order")
    await bob_chat.close()


async def test_after_a_redis_restart_a_resume_gets_what_the_socket_missed(fault_stack, make_user):
    alice, bob = make_user("Alice"), make_user("Bob")
    fault_stack.worker()
    server = fault_stack.server()
    bob_chat = await connect(server.ws_url, bob.token)
    since = bob_chat.frames[0]["last_seq"]
    await asyncio.sleep(1)  # the socket's setup (its pending replay) has been handed over

    await asyncio.to_thread(fault_stack.redis.restart, down_for=1.0)
    await wait_for(lambda: bob_chat.close_code is not None, timeout=30, what="the 1012 close")
    assert bob_chat.close_code == 1012
    for number in range(2):
        answer = await asyncio.to_thread(alice.rest(server).post, f"{API}chats/", {
            "receiver_id": bob.id, "message": f"after the restart {number}", "temp_id": f"r{number}"})
        assert answer.status_code == 201, answer.text

    missed = await resume(server, bob, CHAT, since)
    assert [(event["seq"], event["type"]) for event in missed] == stored_events(bob.id, "chat", since)
    assert [event["message"] for event in missed if event["type"] == "message"] == [
        "after the restart 0", "after the restart 1"]
    await bob_chat.close()


async def test_events_written_into_a_dead_network_are_resumed_after_it(fault_stack, make_user):
    """Bob's network goes silent without a close: the server writes Alice's message into the dead
    connection and marks it delivered. Bob's client gives the connection up (as the JS client does
    when its pings go unanswered), reconnects and resumes: the message, its count and the rest."""
    alice, bob = make_user("Alice"), make_user("Bob")
    fault_stack.worker()
    server = fault_stack.server()
    network = FreezableProxy(server.port)
    await network.start()
    bob_chat = await connect(network.ws_url, bob.token)
    since = bob_chat.frames[0]["last_seq"]
    await asyncio.sleep(1)  # the socket's setup (its pending replay) has been handed over

    network.frozen = True
    answers = []
    for number in range(2):
        answer = await asyncio.to_thread(alice.rest(server).post, f"{API}chats/", {
            "receiver_id": bob.id, "message": f"into the void {number}", "temp_id": f"v{number}"})
        answers.append(answer.json()["id"])
    await wait_for(lambda: ChatMessage.objects.filter(pk__in=answers, delivered_at__isnull=False).count() == 2,
                   timeout=30, what="the server to have written both into the dead connection")
    assert not [frame for frame in bob_chat.frames if frame.get("type") == "message"]
    bob_chat.connection.transport.abort()  # the client gives the silent connection up

    missed = await resume(server, bob, CHAT, since)

    assert [(event["seq"], event["type"]) for event in missed] == stored_events(bob.id, "chat", since)
    assert [event["id"] for event in missed if event["type"] == "message"] == answers
    print(f"\ndead network: both messages were marked delivered into it; the resume brought {len(missed)} events")
    await network.stop()
