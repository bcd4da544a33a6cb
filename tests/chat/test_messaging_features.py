"""Reply, edit, delete, react, mute and block (docs/websocket-api.md, docs/rest-api.md), on both
transports, through a real server and a real worker; the refusals too."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chat import services
from chat.models import Attachment, ChatMessage, MessageRevision, Reaction
from notifications.models import InAppNotification
from tests.support.presence import befriend
from tests.support.ws import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

API = "/api/v1/communication/chats/"


async def send(socket, receiver, text: str, **fields) -> dict:
    await socket.send({"type": "message", "receiver_id": receiver.id, "message": text, **fields})
    return await socket.expect("message_sent", lambda frame: frame["message"] == text)


def history(user, stack, partner) -> dict[int, dict]:
    response = user.rest(stack).get(f"{API}conversation/{partner.id}/")
    assert response.status_code == 200, response.text
    return {message["id"]: message for message in response.json()["messages"]}


def search(user, stack, query: str) -> list[int]:
    response = user.rest(stack).get(API, params={"search": query})
    assert response.status_code == 200, response.text
    return [message["id"] for message in response.json()["results"]]


# Reply -----------------------------------------------------------------------------------------

async def test_a_reply_quotes_its_original_as_it_reads_now(stack, make_user, ws):
    alice, bob = make_user("Alice"), make_user("Bob")
    alice_ws, bob_ws = await ws(alice), await ws(bob)
    original = await send(alice_ws, bob, "Lunch at noon? 🍝")
    await bob_ws.expect("message", lambda frame: frame["id"] == original["id"])

    await bob_ws.send({"type": "message", "receiver_id": alice.id, "message": "Yes!", "reply_to_id": original["id"]})
    reply = await alice_ws.expect("message", lambda frame: frame["message"] == "Yes!")
    assert reply["reply_to"] == {"id": original["id"], "sender_id": alice.id, "message": "Lunch at noon? 🍝",
                                 "deleted": False}
    over_rest = bob.rest(stack).post(API, {"receiver_id": alice.id, "message": "And coffee",
                                           "reply_to_id": original["id"]})
    assert over_rest.status_code == 201 and over_rest.json()["reply_to"]["id"] == original["id"]

    await alice_ws.send({"type": "edit_message", "message_id": original["id"], "message": "Lunch at one? 🍝"})
    await bob_ws.expect("message_edited")
    assert history(bob, stack, alice)[reply["id"]]["reply_to"]["message"] == "Lunch at one? 🍝"

    await alice_ws.send({"type": "delete_message", "message_id": original["id"]})
    await bob_ws.expect("message_deleted")
    assert history(bob, stack, alice)[reply["id"]]["reply_to"] == {
        "id": original["id"], "sender_id": alice.id, "message": "", "deleted": True}


async def test_a_reply_to_another_conversation_or_a_deleted_message_is_refused(stack, make_user, ws):
    alice, bob, carol = make_user("Alice"), make_user("Bob"), make_user("Carol")
    alice_ws = await ws(alice)
    elsewhere = await send(alice_ws, carol, "for Carol only")
    gone = await send(alice_ws, bob, "soon deleted")
    await alice_ws.send({"type": "delete_message", "message_id": gone["id"]})
    await alice_ws.expect("message_deleted")

    for reply_to_id in (elsewhere["id"], gone["id"], 10**12):
        await alice_ws.send({"type": "message", "receiver_id": bob.id, "message": "re", "reply_to_id": reply_to_id,
                             "temp_id": f"re-{reply_to_id}"})
        refused = await alice_ws.expect("error", lambda frame, key=f"re-{reply_to_id}": frame.get("temp_id") == key)
        assert refused["code"] == "not_found"
        response = alice.rest(stack).post(API, {"receiver_id": bob.id, "message": "re", "reply_to_id": reply_to_id})
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert not ChatMessage.objects.filter(message="re").exists()


# Edit ------------------------------------------------------------------------------------------

async def test_the_sender_edits_and_both_see_it_with_the_old_text_kept_for_audit(stack, make_user, ws):
    alice, bob = make_user("Alice"), make_user("Bob")
    alice_ws, bob_ws = await ws(alice), await ws(bob)
    sent = await send(alice_ws, bob, "The meeting is on Tusday")

    await alice_ws.send({"type": "edit_message", "message_id": sent["id"], "message": "The meeting is on Tuesday"})
    for socket in (alice_ws, bob_ws):
        edited = await socket.expect("message_edited")
        assert edited["id"] == sent["id"] and edited["message"] == "The meeting is on Tuesday"
        assert edited["conversation_id"] == sent["conversation_id"] and edited["edited_at"].endswith("Z")

    response = alice.rest(stack).patch(f"{API}{sent['id']}/", {"message": "The meeting is on Wednesday 📅"})
    assert response.status_code == 200, response.text
    assert response.json()["message"] == "The meeting is on Wednesday 📅" and response.json()["edited_at"]
    await bob_ws.expect("message_edited", lambda frame: frame["message"].endswith("📅"))

    shown = history(bob, stack, alice)[sent["id"]]
    assert shown["message"] == "The meeting is on Wednesday 📅" and shown["edited_at"] is not None
    assert search(bob, stack, "Wednesday") == [sent["id"]]
    assert search(bob, stack, "Tusday") == [] and search(bob, stack, "Tuesday") == []
    assert list(MessageRevision.objects.filter(message_id=sent["id"]).values_list("action", "previous_text")) == [
        ("edited", "The meeting is on Tusday"), ("edited", "The meeting is on Tuesday")]

    # The same text again changes nothing and tells no one.
    again = alice.rest(stack).patch(f"{API}{sent['id']}/", {"message": "The meeting is on Wednesday 📅"})
    assert again.status_code == 200
    await bob_ws.expect_none("message_edited", within=1.0)
    assert MessageRevision.objects.filter(message_id=sent["id"]).count() == 2


async def test_edits_by_someone_else_after_the_window_or_of_bad_text_are_refused(stack, make_user, ws):
    alice, bob, carol = make_user("Alice"), make_user("Bob"), make_user("Carol")
    alice_ws, bob_ws, carol_ws = await ws(alice), await ws(bob), await ws(carol)
    sent = await send(alice_ws, bob, "mine")
    await bob_ws.expect("message")

    await bob_ws.send({"type": "edit_message", "message_id": sent["id"], "message": "yours now"})
    assert (await bob_ws.expect("error"))["code"] == "forbidden"
    assert bob.rest(stack).patch(f"{API}{sent['id']}/", {"message": "yours now"}).status_code == 403
    # Someone outside the conversation is not told the message exists.
    await carol_ws.send({"type": "edit_message", "message_id": sent["id"], "message": "hi"})
    assert (await carol_ws.expect("error"))["code"] == "not_found"
    assert carol.rest(stack).patch(f"{API}{sent['id']}/", {"message": "hi"}).status_code == 404

    bad_texts = {"": "validation_error", "nul \x00": "validation_error",
                 "x" * (settings.CHAT_MAX_MESSAGE_LENGTH + 1): "too_large"}
    for text, code in bad_texts.items():
        await alice_ws.send({"type": "edit_message", "message_id": sent["id"], "message": text})
        assert (await alice_ws.expect("error"))["code"] == code
        response = alice.rest(stack).patch(f"{API}{sent['id']}/", {"message": text})
        assert response.status_code == 400 and response.json()["code"] == code
    for frame in ({"message_id": "abc", "message": "x"}, {"message_id": sent["id"], "message": 5}, {"message": "x"},
                  {"message_id": sent["id"]}, {"message_id": "²", "message": "x"}):
        await alice_ws.send({"type": "edit_message", **frame})
        assert (await alice_ws.expect("error"))["code"] == "validation_error"
    assert alice.rest(stack).patch(f"{API}abc/", {"message": "x"}).status_code == 400

    ChatMessage.objects.filter(pk=sent["id"]).update(
        timestamp=timezone.now() - timedelta(seconds=settings.CHAT_EDIT_WINDOW_SECONDS + 1))
    await alice_ws.send({"type": "edit_message", "message_id": sent["id"], "message": "too late"})
    assert (await alice_ws.expect("error"))["code"] == "forbidden"
    assert alice.rest(stack).patch(f"{API}{sent['id']}/", {"message": "too late"}).status_code == 403
    assert ChatMessage.objects.get(pk=sent["id"]).message == "mine"
    assert (await alice_ws.request({"type": "ping"}, "pong"))["type"] == "pong"  # the socket still works


# Delete ----------------------------------------------------------------------------------------

async def test_a_deleted_message_leaves_every_read_path_and_the_unread_count(stack, make_user, ws):
    alice, bob = make_user("Alice"), make_user("Bob")
    alice_ws = await ws(alice)
    upload = services.store_attachment(uploader_id=alice.id, upload=SimpleUploadedFile("plan.txt", b"secret plan"))
    kept = await send(alice_ws, bob, "this one stays")
    sent = await send(alice_ws, bob, "secret budget figures", attachment_id=upload.pk)
    # Bob is away: the message waits for him, counted, with a notification that previews it.
    await eventually(lambda: InAppNotification.objects.filter(recipient_id=bob.id, message="secret budget figures").exists())
    assert bob.rest(stack).get(f"{API}unread-count/").json()["total_unread"] == 2
    download = f"{API}attachments/{upload.pk}/download/"
    assert bob.rest(stack).get(download).status_code == 200

    response = alice.rest(stack).delete(f"{API}{sent['id']}/")
    assert response.status_code == 204, response.text
    deleted = await alice_ws.expect("message_deleted")
    assert deleted["id"] == sent["id"] and deleted["deleted_at"].endswith("Z")

    shown = history(bob, stack, alice)[sent["id"]]
    assert (shown["message"], shown["attachment"], shown["attachment_type"]) == ("", None, None)
    assert shown["deleted_at"] is not None and history(bob, stack, alice)[kept["id"]]["message"] == "this one stays"
    assert search(bob, stack, "budget") == [] and search(alice, stack, "secret") == []
    [conversation] = bob.rest(stack).get(f"{API}conversations/").json()
    assert conversation["last_message"] == "" and conversation["unread_count"] == 1
    assert bob.rest(stack).get(f"{API}unread-count/").json()["total_unread"] == 1
    assert bob.rest(stack).get(download).status_code == 404
    assert not InAppNotification.objects.filter(message__contains="budget").exists()
    for family in ("chat", "notifications"):
        events = bob.rest(stack).get("/api/v1/communication/events/", params={"family": family, "limit": 500})
        assert events.status_code == 200 and "budget" not in events.text and download not in events.text

    # Bob comes back: the replay shows the message as deleted, and reading counts only what is left.
    bob_ws = await ws(bob)
    replayed = await bob_ws.expect("message", lambda frame: frame["id"] == sent["id"])
    assert replayed["message"] == "" and replayed["deleted_at"] is not None
    await bob_ws.send({"type": "read_receipt", "conversation_id": sent["conversation_id"]})
    assert (await bob_ws.expect("read_receipt_sent"))["count"] == 1
    assert bob.rest(stack).get(f"{API}unread-count/").json()["total_unread"] == 0

    # The row and what was removed stay for the admin; the file goes after the retention.
    assert ChatMessage.objects.filter(pk=sent["id"]).exists()
    revision = MessageRevision.objects.get(message_id=sent["id"])
    assert (revision.action, revision.previous_text, revision.previous_attachment_name) == (
        "deleted", "secret budget figures", "plan.txt")
    storage, name = upload.file.storage, upload.file.name
    assert storage.exists(name)
    assert services.remove_deleted_attachments(deleted_before=timezone.now() - timedelta(hours=1), batch_size=10,
                                               max_batches=1) == 0
    assert services.remove_deleted_attachments(deleted_before=timezone.now(), batch_size=10, max_batches=1) == 1
    assert not storage.exists(name) and not Attachment.objects.filter(pk=upload.pk).exists()


async def test_only_the_sender_deletes_and_deleting_twice_changes_nothing(stack, make_user, ws):
    alice, bob = make_user("Alice"), make_user("Bob")
    alice_ws, bob_ws = await ws(alice), await ws(bob)
    sent = await send(alice_ws, bob, "hello")
    await bob_ws.expect("message")

    await bob_ws.send({"type": "delete_message", "message_id": sent["id"]})
    assert (await bob_ws.expect("error"))["code"] == "forbidden"
    assert bob.rest(stack).delete(f"{API}{sent['id']}/").status_code == 403
    assert bob.rest(stack).delete(f"{API}{10**12}/").status_code == 404

    await alice_ws.send({"type": "delete_message", "message_id": sent["id"]})
    await bob_ws.expect("message_deleted")
    assert alice.rest(stack).delete(f"{API}{sent['id']}/").status_code == 204
    await bob_ws.expect_none("message_deleted", within=1.0)
    assert MessageRevision.objects.filter(message_id=sent["id"]).count() == 1
    # A deleted message can be neither edited nor reacted to.
    assert alice.rest(stack).patch(f"{API}{sent['id']}/", {"message": "back"}).status_code == 404
    assert bob.rest(stack).post(f"{API}{sent['id']}/reactions/", {"emoji": "👍"}).status_code == 404


# Reactions -------------------------------------------------------------------------------------

async def test_reactions_are_added_once_removed_and_shown_on_every_read_path(stack, make_user, ws):
    alice, bob = make_user("Alice"), make_user("Bob")
    alice_ws, bob_ws = await ws(alice), await ws(bob)
    sent = await send(alice_ws, bob, "We shipped it")
    await bob_ws.expect("message")

    for emoji in ("👍🏽", "🇫🇷", "👩‍👩‍👧‍👦", "1️⃣"):
        await bob_ws.send({"type": "react", "message_id": sent["id"], "emoji": emoji, "action": "add"})
        frame = await alice_ws.expect("reaction", lambda f, e=emoji: f["emoji"] == e)
        assert frame == {**frame, "message_id": sent["id"], "conversation_id": sent["conversation_id"],
                         "user_id": bob.id, "action": "add"}
    await bob_ws.send({"type": "react", "message_id": sent["id"], "emoji": "👍🏽"})
    await alice_ws.expect_none("reaction", lambda f: f["emoji"] == "👍🏽", within=1.0)

    response = alice.rest(stack).post(f"{API}{sent['id']}/reactions/", {"emoji": "👍🏽"})
    assert response.status_code == 200, response.text
    assert response.json()["reactions"][0] == {"emoji": "👍🏽", "user_ids": [bob.id, alice.id]}
    await bob_ws.expect("reaction", lambda f: f["user_id"] == alice.id)

    removed = bob.rest(stack).delete(f"{API}{sent['id']}/reactions/{quote('🇫🇷')}/")
    assert removed.status_code == 200 and "🇫🇷" not in [r["emoji"] for r in removed.json()["reactions"]]
    assert (await alice_ws.expect("reaction", lambda f: f["action"] == "remove"))["emoji"] == "🇫🇷"
    assert bob.rest(stack).delete(f"{API}{sent['id']}/reactions/{quote('🇫🇷')}/").status_code == 200

    expected = [{"emoji": "👍🏽", "user_ids": [bob.id, alice.id]}, {"emoji": "👩‍👩‍👧‍👦", "user_ids": [bob.id]},
                {"emoji": "1️⃣", "user_ids": [bob.id]}]
    assert history(alice, stack, bob)[sent["id"]]["reactions"] == expected
    assert alice.rest(stack).get(API, params={"search": "shipped"}).json()["results"][0]["reactions"] == expected


async def test_a_reaction_must_be_one_emoji_and_a_message_holds_twenty(stack, make_user, ws):
    alice, bob = make_user("Alice"), make_user("Bob")
    alice_ws = await ws(alice)
    sent = await send(alice_ws, bob, "react to me")

    for emoji in ("a", ":thumbsup:", "👍👍", "👍 ", "", 5, None, "🏳️‍🌈" * 3):
        await alice_ws.send({"type": "react", "message_id": sent["id"], "emoji": emoji})
        assert (await alice_ws.expect("error"))["code"] == "validation_error", emoji
        response = alice.rest(stack).post(f"{API}{sent['id']}/reactions/", {"emoji": emoji})
        assert response.status_code == 400 and response.json()["code"] == "validation_error", emoji
    await alice_ws.send({"type": "react", "message_id": sent["id"], "emoji": "👍", "action": "toggle"})
    assert (await alice_ws.expect("error"))["code"] == "validation_error"
    assert alice.rest(stack).delete(f"{API}{sent['id']}/reactions/abc/").status_code == 400

    twenty = [chr(0x1F600 + offset) for offset in range(20)]
    for emoji in twenty:
        Reaction.objects.create(message_id=sent["id"], user_id=bob.id, emoji=emoji)
    response = alice.rest(stack).post(f"{API}{sent['id']}/reactions/", {"emoji": "🎉"})
    assert response.status_code == 400 and response.json()["code"] == "validation_error"
    # One already there may still be added by someone else.
    assert alice.rest(stack).post(f"{API}{sent['id']}/reactions/", {"emoji": twenty[0]}).status_code == 200
    assert Reaction.objects.filter(message_id=sent["id"]).values("emoji").distinct().count() == 20


# Mute ------------------------------------------------------------------------------------------

async def test_a_muted_conversation_delivers_and_counts_but_notifies_no_one(stack, make_user, ws):
    alice, bob = make_user("Alice"), make_user("Bob")
    alice_ws = await ws(alice)
    first = await send(alice_ws, bob, "first")
    await eventually(lambda: InAppNotification.objects.filter(recipient_id=bob.id).exists())
    InAppNotification.objects.filter(recipient_id=bob.id).delete()
    mute_url = f"{API}conversations/{first['conversation_id']}/mute/"

    response = bob.rest(stack).post(mute_url, {"until": None})
    assert response.status_code == 200 and response.json() == {
        "conversation_id": first["conversation_id"], "muted": True, "muted_until": None}
    [listed] = bob.rest(stack).get(f"{API}conversations/").json()
    assert listed["muted"] is True and listed["muted_until"] is None

    await send(alice_ws, bob, "while muted")
    bob_ws = await ws(bob)
    assert (await bob_ws.expect("message", lambda f: f["message"] == "while muted"))["is_read"] is False
    await bob_ws.close()
    assert bob.rest(stack).get(f"{API}unread-count/").json()["total_unread"] == 2
    assert not InAppNotification.objects.filter(recipient_id=bob.id).exists()

    until = (timezone.now() + timedelta(hours=2)).isoformat()
    assert bob.rest(stack).post(mute_url, {"until": until}).json()["muted_until"].endswith("Z")
    assert bob.rest(stack).delete(mute_url).status_code == 204
    [listed] = bob.rest(stack).get(f"{API}conversations/").json()
    assert listed["muted"] is False and listed["muted_until"] is None
    await send(alice_ws, bob, "after unmute")
    await eventually(lambda: InAppNotification.objects.filter(recipient_id=bob.id, message="after unmute").exists())


async def test_mute_refuses_bad_input(stack, make_user, ws):
    alice, bob, carol = make_user("Alice"), make_user("Bob"), make_user("Carol")
    sent = await send(await ws(alice), bob, "hi")
    url = f"{API}conversations/{sent['conversation_id']}/mute/"
    for body in ({"until": "yesterday"}, {"until": "2020-01-01T00:00:00Z"}, {"until": 5}):
        response = bob.rest(stack).post(url, body)
        assert response.status_code == 400 and response.json()["code"] == "validation_error", body
    assert carol.rest(stack).post(url, {}).status_code == 404
    assert bob.rest(stack).post(f"{API}conversations/abc/mute/", {}).status_code == 400


# Block -----------------------------------------------------------------------------------------

async def test_a_block_stops_messages_typing_and_presence_but_keeps_the_history(stack, make_user, ws):
    alice, bob = make_user("Alice"), make_user("Bob")
    alice_ws, bob_ws = await ws(alice), await ws(bob)
    before = await send(alice_ws, bob, "before the block")
    await bob_ws.expect("message")
    # The first message made them contacts: each was told the other is online.
    await bob_ws.expect("online_status_changed", lambda frame: frame["user_id"] == alice.id, timeout=30)

    response = bob.rest(stack).post(f"{API}blocks/", {"user_id": alice.id})
    assert response.status_code == 201 and response.json()["user"]["id"] == alice.id
    assert bob.rest(stack).post(f"{API}blocks/", {"user_id": alice.id}).status_code == 201
    assert [block["user"]["id"] for block in bob.rest(stack).get(f"{API}blocks/").json()] == [alice.id]

    await alice_ws.send({"type": "message", "receiver_id": bob.id, "message": "are you there?", "temp_id": "b-1"})
    refused = await alice_ws.expect("error")
    assert refused == {"type": "error", "error": "You cannot message this user", "code": "forbidden", "temp_id": "b-1"}
    over_rest = alice.rest(stack).post(API, {"receiver_id": bob.id, "message": "hello?"})
    assert over_rest.status_code == 403 and over_rest.json()["code"] == "forbidden"
    blocker_send = bob.rest(stack).post(API, {"receiver_id": alice.id, "message": "no"})
    assert blocker_send.status_code == 403
    # Typing is dropped without a word to the typist; presence is no longer shared.
    await alice_ws.send({"type": "typing", "receiver_id": bob.id, "is_typing": True})
    await bob_ws.expect_none("typing_indicator", within=1.0)
    await alice_ws.expect_none("error", within=0.1)
    await alice_ws.close()
    await bob_ws.expect_none("online_status_changed", within=settings.PRESENCE_OFFLINE_GRACE_SECONDS + 2)
    await bob_ws.send({"type": "get_online_status", "user_id": alice.id})
    assert (await bob_ws.expect("online_status"))["last_seen"] is None
    assert ChatMessage.objects.filter(message__in=["are you there?", "hello?", "no"]).count() == 0
    assert list(history(bob, stack, alice)) == [before["id"]]

    assert bob.rest(stack).delete(f"{API}blocks/{alice.id}/").status_code == 204
    assert bob.rest(stack).delete(f"{API}blocks/{alice.id}/").status_code == 204
    alice_ws = await ws(alice)
    assert (await send(alice_ws, bob, "friends again"))["message"] == "friends again"


async def test_block_refuses_bad_input(stack, make_user):
    alice = make_user("Alice")
    befriend(alice)
    for body, status in (({"user_id": alice.id}, 400), ({"user_id": 10**12}, 404), ({"user_id": "x"}, 400), ({}, 400)):
        assert alice.rest(stack).post(f"{API}blocks/", body).status_code == status, body
    assert alice.rest(stack).delete(f"{API}blocks/abc/").status_code == 400


# Resume ----------------------------------------------------------------------------------------

async def test_a_resuming_client_gets_the_edits_deletions_and_reactions_it_missed(stack, make_user, ws):
    alice, bob = make_user("Alice"), make_user("Bob")
    alice_ws, bob_ws = await ws(alice), await ws(bob)
    kept, gone = await send(alice_ws, bob, "see you at 9"), await send(alice_ws, bob, "private words")
    await bob_ws.expect("message", lambda frame: frame["id"] == gone["id"])
    await bob_ws.close()
    away = await ws(bob, expect_connected=False)
    since = (await away.expect("connection"))["last_seq"]
    await away.close()

    # One after the other: two workers would otherwise apply them in either order.
    await alice_ws.request({"type": "edit_message", "message_id": kept["id"], "message": "see you at 10"},
                           "message_edited")
    await alice_ws.request({"type": "react", "message_id": kept["id"], "emoji": "⏰"}, "reaction")
    await alice_ws.request({"type": "delete_message", "message_id": gone["id"]}, "message_deleted")

    back = await ws(bob, f"/ws/chat/?since={since}", expect_connected=False)
    await back.expect("resumed")
    missed = [frame for frame in back.frames if frame.get("replayed")]
    assert [frame["type"] for frame in missed] == ["message_edited", "reaction", "message_deleted", "unread_count"]
    assert missed[0]["message"] == "see you at 10" and missed[1]["emoji"] == "⏰" and missed[2]["id"] == gone["id"]
    assert [frame["seq"] for frame in missed] == list(range(since + 1, since + 5))

    # From the start of the stream, the deleted text is nowhere.
    everything = await ws(bob, "/ws/chat/?since=0", expect_connected=False)
    await everything.expect("resumed")
    replayed = await everything.expect("message", lambda frame: frame["id"] == gone["id"])
    assert replayed["message"] == "" and replayed["deleted_at"] is not None
    assert "private words" not in str(everything.frames)
