"""Idempotent sends, pending replay for offline receivers, and delivery receipts."""
from __future__ import annotations

import pytest

from chat.models import ChatMessage
from core.redis import sync_client
from tests.support.ws import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

API = "/api/v1/communication/chats/"


async def test_the_same_temp_id_twice_stores_one_row_and_answers_the_same_id(stack, make_user, ws):
    alice, bob = make_user(), make_user()
    alice_ws = await ws(alice)
    frame = {"type": "message", "receiver_id": bob.id, "message": "once", "temp_id": "dup-1"}

    await alice_ws.send(frame)
    await alice_ws.send(frame)
    first = await alice_ws.expect("message_sent")
    second = await alice_ws.expect("message_sent")

    assert first["id"] == second["id"] and first["temp_id"] == second["temp_id"] == "dup-1"
    assert ChatMessage.objects.filter(sender_id=alice.id).count() == 1


async def test_a_rest_retry_with_the_same_temp_id_returns_the_stored_message(stack, make_user, ws):
    alice, bob = make_user(), make_user()
    alice_ws = await ws(alice)
    await alice_ws.send({"receiver_id": bob.id, "message": "over the socket", "temp_id": "x-9"})
    sent = await alice_ws.expect("message_sent")

    response = alice.rest(stack).post("/api/v1/communication/chats/", {"receiver_id": bob.id, "message": "over the socket", "temp_id": "x-9"})

    assert response.status_code == 201 and response.json()["id"] == sent["id"]
    assert ChatMessage.objects.filter(sender_id=alice.id).count() == 1


def upload_text(user, stack) -> int:
    response = user.rest(stack).post(f"{API}attachments/", files={"file": ("notes.txt", b"notes", "text/plain")})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def changed_send(change: str, original: dict, *, other_receiver_id: int, upload_id: int) -> dict:
    """The original send with one of the things that make it a different message changed."""
    return {**original, **{
        "receiver": {"receiver_id": other_receiver_id},
        "text": {"message": original["message"] + " (edited)"},
        "attachment": {"attachment_id": upload_id},
    }[change]}


CHANGES = ["receiver", "text", "attachment"]


@pytest.mark.parametrize("change", CHANGES)
async def test_a_temp_id_reused_for_a_different_message_is_a_conflict_and_stores_nothing(stack, make_user, ws, change):
    alice, bob, carol = make_user(), make_user(), make_user()
    alice_ws, carol_ws = await ws(alice), await ws(carol)
    upload_id = upload_text(alice, stack)
    original = {"type": "message", "receiver_id": bob.id, "message": "the original", "temp_id": "reused-1"}
    await alice_ws.send(original)
    sent = await alice_ws.expect("message_sent")

    await alice_ws.send(changed_send(change, original, other_receiver_id=carol.id, upload_id=upload_id))

    error = await alice_ws.expect("error")
    assert error["code"] == "conflict" and error["temp_id"] == "reused-1" and error["error"]
    assert list(ChatMessage.objects.filter(sender_id=alice.id).values_list("id", "receiver_id", "message")) == [
        (sent["id"], bob.id, "the original")]
    assert not ChatMessage.objects.filter(attachment_id=upload_id).exists()
    # A genuine retry is still answered with the stored message.
    await alice_ws.send(original)
    assert (await alice_ws.expect("message_sent"))["id"] == sent["id"]
    await carol_ws.expect_none("message")


@pytest.mark.parametrize("change", CHANGES)
def test_a_rest_send_reusing_a_temp_id_for_a_different_message_is_a_409(stack, make_user, change):
    alice, bob, carol = make_user(), make_user(), make_user()
    client = alice.rest(stack)
    upload_id = upload_text(alice, stack)
    original = {"receiver_id": bob.id, "message": "the original", "temp_id": "reused-2"}
    first = client.post(API, original)
    assert first.status_code == 201, first.text

    conflict = client.post(API, changed_send(change, original, other_receiver_id=carol.id, upload_id=upload_id))

    assert conflict.status_code == 409, conflict.text
    assert conflict.json()["code"] == "conflict" and conflict.json()["error"]
    assert list(ChatMessage.objects.filter(sender_id=alice.id).values_list("id", "receiver_id", "message")) == [
        (first.json()["id"], bob.id, "the original")]
    assert not ChatMessage.objects.filter(attachment_id=upload_id).exists()
    retry = client.post(API, original)
    assert retry.status_code == 201 and retry.json()["id"] == first.json()["id"]


async def test_a_temp_id_sent_with_an_attachment_and_retried_without_it_is_a_conflict(stack, make_user, ws):
    alice, bob = make_user(), make_user()
    alice_ws = await ws(alice)
    original = {"receiver_id": bob.id, "message": "", "attachment_id": upload_text(alice, stack), "temp_id": "att-1"}
    await alice_ws.send(original)
    sent = await alice_ws.expect("message_sent")

    await alice_ws.send({**original, "attachment_id": None, "message": "no file now"})

    assert (await alice_ws.expect("error"))["code"] == "conflict"
    await alice_ws.send(original)
    assert (await alice_ws.expect("message_sent"))["id"] == sent["id"]
    assert ChatMessage.objects.filter(sender_id=alice.id).count() == 1


async def test_an_offline_receiver_gets_pending_messages_in_order_and_the_sender_gets_receipts(stack, make_user, ws):
    alice, bob = make_user(), make_user()
    alice_ws = await ws(alice)
    sent_ids = []
    for number in range(5):
        await alice_ws.send({"receiver_id": bob.id, "message": f"while you were away {number}", "temp_id": f"p{number}"})
        sent_ids.append((await alice_ws.expect("message_sent", lambda f, n=number: f["temp_id"] == f"p{n}"))["id"])
    assert ChatMessage.objects.filter(pk__in=sent_ids, delivered_at__isnull=True).count() == 5
    assert [int(i) for i in sync_client().zrange(f"ws:pending:{bob.id}", 0, -1)] == sent_ids

    bob_ws = await ws(bob)
    replayed = [await bob_ws.expect("message") for _ in sent_ids]

    assert [frame["id"] for frame in replayed] == sent_ids
    assert [frame["message"] for frame in replayed] == [f"while you were away {n}" for n in range(5)]
    receipts = {(await alice_ws.expect("delivery_receipt"))["message_id"] for _ in sent_ids}
    assert receipts == set(sent_ids)
    assert ChatMessage.objects.filter(pk__in=sent_ids, delivered_at__isnull=False).count() == 5
    await eventually(lambda: sync_client().zcard(f"ws:pending:{bob.id}") == 0)


async def test_delivered_messages_are_not_replayed_again(stack, make_user, ws):
    alice, bob = make_user(), make_user()
    alice_ws = await ws(alice)
    await alice_ws.send({"receiver_id": bob.id, "message": "one"})
    sent = await alice_ws.expect("message_sent")
    first_bob = await ws(bob)
    await first_bob.expect("message", lambda f: f["id"] == sent["id"])
    await alice_ws.expect("delivery_receipt")
    await first_bob.close()

    second_bob = await ws(bob)

    await second_bob.expect_none("message", within=1.5)


async def test_an_explicit_delivery_receipt_is_idempotent(stack, make_user, ws):
    alice, bob = make_user(), make_user()
    alice_ws = await ws(alice)
    await alice_ws.send({"receiver_id": bob.id, "message": "ack me"})
    sent = await alice_ws.expect("message_sent")
    bob_ws = await ws(bob)
    await bob_ws.expect("message")
    first = await alice_ws.expect("delivery_receipt")

    await bob_ws.send({"type": "delivery_receipt", "message_id": sent["id"]})
    await bob_ws.send({"type": "delivery_receipt", "message_ids": [sent["id"], str(sent["id"])]})

    await alice_ws.expect_none("delivery_receipt", within=1.5)
    stored = ChatMessage.objects.get(pk=sent["id"])
    assert stored.delivered_at is not None and first["delivered_at"].endswith("Z")


async def test_the_senders_other_tabs_see_the_message_but_not_the_sending_tab(stack, make_user, ws):
    alice, bob = make_user(), make_user()
    tab_one, tab_two, bob_ws = await ws(alice), await ws(alice), await ws(bob)

    await tab_one.send({"receiver_id": bob.id, "message": "mirrored", "temp_id": "m"})
    sent = await tab_one.expect("message_sent")

    mirrored = await tab_two.expect("message")
    assert mirrored["id"] == sent["id"]
    await bob_ws.expect("message", lambda f: f["id"] == sent["id"])
    await tab_one.expect_none("message", within=1.0)


async def test_a_burst_from_one_socket_is_stored_and_delivered_in_the_order_sent(stack, make_user, ws):
    alice, bob = make_user(), make_user()
    alice_ws, bob_ws = await ws(alice), await ws(bob)

    for number in range(12):
        await alice_ws.send({"receiver_id": bob.id, "message": f"burst {number}", "temp_id": f"b{number}"})
    acknowledged = [await alice_ws.expect("message_sent", lambda f, n=n: f["temp_id"] == f"b{n}") for n in range(12)]
    received = [await bob_ws.expect("message") for _ in range(12)]

    ids = [frame["id"] for frame in acknowledged]
    assert ids == sorted(ids)
    assert [frame["message"] for frame in received] == [f"burst {n}" for n in range(12)]
    stored = list(ChatMessage.objects.filter(sender_id=alice.id).order_by("id").values_list("message", flat=True))
    assert stored == [f"burst {n}" for n in range(12)]


async def test_sends_still_queued_when_the_socket_closes_are_stored(stack, make_user, ws):
    alice, bob = make_user(), make_user()
    alice_ws = await ws(alice)

    for number in range(8):
        await alice_ws.send({"receiver_id": bob.id, "message": f"parting {number}", "temp_id": f"q{number}"})
    await alice_ws.close()

    await eventually(lambda: ChatMessage.objects.filter(sender_id=alice.id).count() == 8)
