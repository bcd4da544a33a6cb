"""Two people chat in real time through a real server and a real worker."""
from __future__ import annotations

import pytest

from chat.models import ChatMessage, Conversation

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMOJI_TEXT = "Hello 👋 family 👨‍👩‍👧‍👦 thumbs 👍🏽 math 𝔸 done ✅"


async def test_two_users_chat_with_emoji_and_receipts(stack, make_user, ws):
    alice, bob = make_user("Alice"), make_user("Bob")
    alice_ws, bob_ws = await ws(alice), await ws(bob)

    await alice_ws.send({"type": "message", "receiver_id": bob.id, "message": EMOJI_TEXT, "temp_id": "t-1"})
    sent = await alice_ws.expect("message_sent")
    received = await bob_ws.expect("message")

    assert sent["temp_id"] == "t-1" and sent["id"] == received["id"]
    assert received["message"] == EMOJI_TEXT
    assert received["sender_id"] == alice.id and received["receiver_id"] == bob.id
    assert received["sender_name"] == "Alice"
    assert received["delivered_at"] is None and received["timestamp"].endswith("Z")
    receipt = await alice_ws.expect("delivery_receipt")
    assert receipt["message_id"] == sent["id"] and receipt["delivered_at"].endswith("Z")
    unread = await bob_ws.expect("unread_count")
    # The message and then the count are bob's newest events (docs/websocket-api.md "Resume").
    assert unread == {"type": "unread_count", "total_unread": 1, "conversation_id": sent["conversation_id"], "unread_count": 1,
                      "seq": received["seq"] + 1}

    await bob_ws.send({"type": "read_receipt", "conversation_id": sent["conversation_id"]})
    assert (await bob_ws.expect("read_receipt_sent"))["count"] == 1
    read = await alice_ws.expect("read_receipt")
    assert read["message_id"] == sent["id"] and read["reader_id"] == bob.id
    assert (await bob_ws.expect("unread_count"))["total_unread"] == 0

    await bob_ws.send({"type": "message", "receiver_id": alice.id, "message": "🙂 back"})
    reply = await alice_ws.expect("message")
    assert reply["message"] == "🙂 back" and reply["temp_id"] is None

    stored = ChatMessage.objects.get(pk=sent["id"])
    assert stored.message == EMOJI_TEXT and stored.is_read and stored.delivered_at is not None
    conversation = Conversation.objects.get(pk=sent["conversation_id"])
    assert conversation.unread_field_for(bob.id) and conversation.participant1_unread_count + conversation.participant2_unread_count == 1
