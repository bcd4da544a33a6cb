"""Typing with its server-side expiry, and read receipts by each of the three selectors."""
from __future__ import annotations

import time

import pytest

from chat.models import ChatMessage, Conversation, TypingIndicator
from core.redis import sync_client
from tests.conftest import tasks_in_flight
from tests.support.ws import eventually
from workers.models import FailedTask

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


async def test_typing_flows_both_ways_and_stops_explicitly(stack, make_user, ws):
    alice, bob = make_user("Alice"), make_user("Bob")
    alice_ws, bob_ws = await ws(alice), await ws(bob)

    await alice_ws.send({"type": "typing", "receiver_id": bob.id, "is_typing": True})
    started = await bob_ws.expect("typing_indicator")
    assert started["sender_id"] == alice.id and started["sender_name"] == "Alice" and started["is_typing"] is True
    assert sync_client().pttl(f"ws:typing:{alice.id}:{bob.id}") in range(1, 5001)

    await bob_ws.send({"type": "typing", "receiver_id": alice.id})
    assert (await alice_ws.expect("typing_indicator"))["sender_id"] == bob.id

    await alice_ws.send({"type": "typing", "receiver_id": bob.id, "is_typing": False})
    stopped = await bob_ws.expect("typing_indicator")
    assert stopped["is_typing"] is False
    assert not sync_client().exists(f"ws:typing:{alice.id}:{bob.id}")


async def test_a_quiet_typist_is_stopped_by_the_server_within_6_seconds(stack, make_user, ws):
    alice, bob = make_user(), make_user()
    alice_ws, bob_ws = await ws(alice), await ws(bob)

    await alice_ws.send({"type": "typing", "receiver_id": bob.id, "is_typing": True})
    await bob_ws.expect("typing_indicator", lambda f: f["is_typing"])
    started = time.monotonic()

    await bob_ws.expect("typing_indicator", lambda f: not f["is_typing"], timeout=8)
    assert time.monotonic() - started < 6.5


async def test_sending_a_message_stops_typing_at_once(stack, make_user, ws):
    alice, bob = make_user(), make_user()
    alice_ws, bob_ws = await ws(alice), await ws(bob)
    await alice_ws.send({"type": "typing", "receiver_id": bob.id})
    await bob_ws.expect("typing_indicator", lambda f: f["is_typing"])

    await alice_ws.send({"receiver_id": bob.id, "message": "done typing"})

    await bob_ws.expect("typing_indicator", lambda f: not f["is_typing"], timeout=2)
    await bob_ws.expect("message")


async def test_closing_the_typists_socket_stops_typing(stack, make_user, ws):
    alice, bob = make_user(), make_user()
    alice_ws, bob_ws = await ws(alice), await ws(bob)
    await alice_ws.send({"type": "typing", "receiver_id": bob.id})
    await bob_ws.expect("typing_indicator", lambda f: f["is_typing"])

    await alice_ws.close()

    await bob_ws.expect("typing_indicator", lambda f: not f["is_typing"], timeout=3)


async def test_typing_writes_the_table_once_per_spell_not_per_keystroke(stack, make_user, ws):
    alice, bob = make_user(), make_user()
    alice_ws, bob_ws = await ws(alice), await ws(bob)

    for _ in range(5):
        await alice_ws.send({"type": "typing", "receiver_id": bob.id})
        await bob_ws.expect("typing_indicator")

    await eventually(lambda: TypingIndicator.objects.filter(user_id=alice.id).exists())
    row = TypingIndicator.objects.get(user_id=alice.id, partner_id=bob.id)
    assert row.is_typing and row.last_activity_at is not None


async def test_typing_to_nobody_is_refused_on_both_transports_and_records_no_failure(stack, make_user, ws):
    alice, gone = make_user(), make_user(is_active=False)
    alice_ws = await ws(alice)
    for receiver_id in (gone.id, 999_999_999):
        await alice_ws.send({"type": "typing", "receiver_id": receiver_id, "is_typing": True})
        refusal = await alice_ws.expect("error")
        assert refusal["code"] == "not_found"
        response = alice.rest(stack).post("/api/v1/communication/chats/typing/",
                                          json={"receiver_id": receiver_id, "is_typing": True})
        assert response.status_code == 404 and response.json()["code"] == "not_found"

    await eventually(lambda: not tasks_in_flight())
    assert not FailedTask.objects.filter(task_name="chat.record_typing").exists()
    assert not TypingIndicator.objects.filter(user_id=alice.id).exists()
    assert not sync_client().exists(f"ws:typing:{alice.id}:{gone.id}")


async def test_rest_typing_reaches_the_receiver_and_expires_on_the_server(stack, make_user, ws):
    alice, bob = make_user(), make_user()
    bob_ws = await ws(bob)

    response = alice.rest(stack).post("/api/v1/communication/chats/typing/", {"receiver_id": bob.id, "is_typing": True})

    assert response.status_code == 200 and response.json() == {"success": True}
    await bob_ws.expect("typing_indicator", lambda f: f["is_typing"] and f["sender_id"] == alice.id)
    await bob_ws.expect("typing_indicator", lambda f: not f["is_typing"], timeout=9)


async def send_messages(sender_ws, receiver_id: int, count: int) -> list[int]:
    ids = []
    for number in range(count):
        await sender_ws.send({"receiver_id": receiver_id, "message": f"m{number}", "temp_id": f"r{number}"})
        ids.append((await sender_ws.expect("message_sent", lambda f, n=number: f["temp_id"] == f"r{n}"))["id"])
    return ids


@pytest.mark.parametrize("selector", ["message_ids", "conversation_id", "sender_id"])
async def test_read_receipts_by_each_selector_keep_counters_exact(stack, make_user, ws, selector):
    alice, bob = make_user(), make_user()
    alice_ws, bob_ws = await ws(alice), await ws(bob)
    ids = await send_messages(alice_ws, bob.id, 3)
    conversation_id = ChatMessage.objects.get(pk=ids[0]).conversation_id
    value = {"message_ids": ids[:2], "conversation_id": conversation_id, "sender_id": alice.id}[selector]
    expected = 2 if selector == "message_ids" else 3

    await bob_ws.send({"type": "read_receipt", selector: value})

    assert (await bob_ws.expect("read_receipt_sent"))["count"] == expected
    receipts = [await alice_ws.expect("read_receipt") for _ in range(expected)]
    assert {r["message_id"] for r in receipts} == set(ids[:expected])
    assert all(r["reader_id"] == bob.id and r["read_at"].endswith("Z") for r in receipts)
    conversation = Conversation.objects.get(pk=conversation_id)
    assert getattr(conversation, conversation.unread_field_for(bob.id)) == 3 - expected
    assert ChatMessage.objects.filter(receiver_id=bob.id, is_read=False).count() == 3 - expected


@pytest.mark.parametrize("selector", ["conversation_id", "sender_id"])
async def test_a_read_receipt_up_to_an_id_leaves_a_message_that_arrived_after_it_unread(stack, make_user, ws, selector):
    alice, bob = make_user(), make_user()
    alice_ws, bob_ws = await ws(alice), await ws(bob)
    shown = await send_messages(alice_ws, bob.id, 2)
    for message_id in shown:
        await bob_ws.expect("message", lambda f, i=message_id: f["id"] == i)
    conversation_id = ChatMessage.objects.get(pk=shown[0]).conversation_id
    # Arrives while the reader's screen still shows the first two.
    await alice_ws.send({"receiver_id": bob.id, "message": "not seen yet", "temp_id": "late"})
    late = (await alice_ws.expect("message_sent", lambda f: f["temp_id"] == "late"))["id"]
    await bob_ws.expect("message", lambda f: f["id"] == late)
    value = {"conversation_id": conversation_id, "sender_id": alice.id}[selector]

    await bob_ws.send({"type": "read_receipt", selector: value, "up_to_id": shown[-1]})

    assert (await bob_ws.expect("read_receipt_sent"))["count"] == 2
    counted = await bob_ws.expect("unread_count", lambda f: f["unread_count"] < 3)
    assert (counted["conversation_id"], counted["unread_count"], counted["total_unread"]) == (conversation_id, 1, 1)
    receipts = [await alice_ws.expect("read_receipt") for _ in shown]
    assert sorted(r["message_id"] for r in receipts) == shown
    await alice_ws.expect_none("read_receipt", lambda f: f["message_id"] == late)
    assert list(ChatMessage.objects.filter(receiver_id=bob.id, is_read=False).values_list("id", flat=True)) == [late]
    conversation = Conversation.objects.get(pk=conversation_id)
    assert getattr(conversation, conversation.unread_field_for(bob.id)) == 1


async def test_reading_twice_counts_nothing_the_second_time(stack, make_user, ws):
    alice, bob = make_user(), make_user()
    alice_ws, bob_ws = await ws(alice), await ws(bob)
    ids = await send_messages(alice_ws, bob.id, 2)

    await bob_ws.send({"type": "read_receipt", "message_ids": ids})
    assert (await bob_ws.expect("read_receipt_sent"))["count"] == 2
    await bob_ws.send({"type": "read_receipt", "message_ids": ids})
    assert (await bob_ws.expect("read_receipt_sent"))["count"] == 0

    conversation = Conversation.objects.get(pk=ChatMessage.objects.get(pk=ids[0]).conversation_id)
    assert conversation.participant1_unread_count == conversation.participant2_unread_count == 0


async def test_a_sender_cannot_mark_their_own_sent_messages_read(stack, make_user, ws):
    alice, bob = make_user(), make_user()
    alice_ws = await ws(alice)
    ids = await send_messages(alice_ws, bob.id, 1)

    await alice_ws.send({"type": "read_receipt", "message_ids": ids})

    assert (await alice_ws.expect("read_receipt_sent"))["count"] == 0
    assert not ChatMessage.objects.get(pk=ids[0]).is_read

