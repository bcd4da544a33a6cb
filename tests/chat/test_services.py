"""`chat.services` in-process: what a send stores and pushes, refusals, retries, attachments,
delivery and read receipts with exact unread counts, and typing. Batches of sends have their own
tests (tests/chat/test_send_batches.py), and so does the clean-up of unattached uploads
(tests/chat/test_upload_cleanup.py)."""
from __future__ import annotations

import os

import pytest
from asgiref.sync import async_to_sync
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError

from chat import selectors, services
from chat.models import Attachment, ChatMessage, Conversation, TypingIndicator
from chat.pending import pending_key
from core.errors import Forbidden, NotFound, TooLarge, ValidationFailed
from core.redis import sync_client
from core.timestamps import iso_z
from notifications.models import InAppNotification
from presence import services as presence_services
from realtime import frames, stream
from realtime.models import Event
from tests.factories import (
    make_attachment,
    make_conversation,
    make_message,
    make_notification,
    make_user,
)
from tests.support.capture import Push

pytestmark = pytest.mark.django_db

SOCKET = "specific.abc!sock1"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def send(sender, receiver, text: str = "Hello", *, temp_id: str | None = "draft-1", **fields) -> services.NewMessage:
    return services.NewMessage(sender_id=sender.pk, receiver_id=receiver.pk, text=text, temp_id=temp_id,
                               idempotency_key=services.idempotency_key_for(temp_id), **fields)


def stored(message_id: int) -> ChatMessage:
    return selectors.messages_with_people().get(pk=message_id)


def unread(receiver, other) -> int:
    return selectors.unread_count_for(make_conversation(receiver, other), receiver.pk)


def pending_ids(user) -> list[int]:
    return [int(member) for member in sync_client().zrange(pending_key(user.pk), 0, -1)]


def go_online(user) -> None:
    async_to_sync(presence_services.touch_connection)(user_id=user.pk, connection=f"chat-{user.pk}")


def nobody_may_message_bob(sender, receiver) -> bool:
    """A `CHAT_MESSAGE_POLICY` for the tests."""
    return receiver.first_name != "Bob"


# Keys and text ---------------------------------------------------------------------------------

def test_a_temp_id_makes_the_key_and_without_one_every_send_gets_a_new_key():
    assert services.idempotency_key_for("draft-1") == "t:draft-1"
    generated = {services.idempotency_key_for(None) for _ in range(3)} | {services.idempotency_key_for("")}
    assert len(generated) == 4 and all(key.startswith("s:") and len(key) == 34 for key in generated)


def test_a_message_needs_text_or_an_attachment_and_fits_the_limit(settings):
    settings.CHAT_MAX_MESSAGE_LENGTH = 10
    services.validate_message_text(text="x" * 10, has_attachment=False)
    services.validate_message_text(text="", has_attachment=True)
    with pytest.raises(ValidationFailed, match=r"^message or attachment is required$"):
        services.validate_message_text(text="", has_attachment=False)
    with pytest.raises(TooLarge, match=r"^message is longer than 10 characters$"):
        services.validate_message_text(text="x" * 11, has_attachment=True)


# Sending ---------------------------------------------------------------------------------------

def test_a_send_reaches_the_receiver_confirms_the_sending_socket_and_counts_after_commit(
        alice, bob, published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as hooks:
        outcome, = services.send_messages(sends=[send(alice, bob, "Hello Bob", reply_channel=SOCKET)])
        assert published == [] and pending_ids(bob) == []
    for hook in hooks:
        hook()

    message, conversation = stored(outcome.pk), Conversation.objects.get()
    frame = frames.message(selectors.message_payload(message))
    assert (frame["message"], frame["sender_name"], frame["receiver_id"], frame["temp_id"], frame["delivered_at"]) == (
        "Hello Bob", "Alice Smith", bob.pk, "draft-1", None)
    assert (conversation.last_message_id, conversation.last_message_at, unread(bob, alice), unread(alice, bob)) == (
        message.pk, message.timestamp, 1, 0)
    chat = [push for push in published if push.family == "chat"]
    assert chat == [
        Push(frame=frame, user_id=bob.pk),
        Push(frame=frame, user_id=alice.pk, reply_channel=SOCKET, reply_type="message_sent", reply_to="t:draft-1"),
        Push(frame={"type": "unread_count", "total_unread": 1, "conversation_id": conversation.pk, "unread_count": 1},
             user_id=bob.pk),
    ]
    assert pending_ids(bob) == [message.pk]


def test_a_receiver_without_a_chat_socket_is_notified_and_one_with_a_socket_is_not(alice, bob, published, committed):
    carol = make_user("Carol")
    go_online(carol)

    with committed():
        services.send_messages(sends=[send(alice, bob, "Hello Bob"), send(alice, carol, "Hello Carol", temp_id=None)])

    notification = InAppNotification.objects.get()
    assert (notification.recipient_id, notification.title, notification.message) == (
        bob.pk, "New message from Alice Smith", "Hello Bob")
    assert [(push.user_id, push.frame["type"]) for push in published if push.family == "notifications"] == [
        (bob.pk, "notification")]


def test_a_first_message_introduces_two_online_people_to_each_other_and_later_ones_do_not(alice, bob, published,
                                                                                        committed):
    for user in (alice, bob):
        go_online(user)
        presence_services.announce_if_changed(user_id=user.pk)  # nobody to tell yet: they share no conversation

    with committed():
        services.send_messages(sends=[send(alice, bob, "first")])
    with committed():
        services.send_messages(sends=[send(bob, alice, "second")])

    assert [(push.user_id, push.frame["user_id"], push.frame["is_online"])
            for push in published if push.frame["type"] == "online_status_changed"] == [
        (bob.pk, alice.pk, True), (alice.pk, bob.pk, True)]


def test_a_retried_send_is_confirmed_again_and_not_stored_or_streamed_twice(alice, bob, published, committed):
    first, = services.send_messages(sends=[send(alice, bob, "Hello Bob", reply_channel=SOCKET)])

    with committed():
        retry, = services.send_messages(sends=[send(alice, bob, "Hello Bob", reply_channel="specific.abc!sock2")])
    message = stored(first.pk)
    assert retry.pk == first.pk and ChatMessage.objects.count() == 1 and unread(bob, alice) == 1
    assert published == [
        Push(frame=frames.message_sent(selectors.message_payload(message)), channel="specific.abc!sock2",
             reply_to="t:draft-1"),
    ]
    assert Event.objects.filter(user_id=bob.pk, frame__type="message").count() == 1

    services.mark_delivered(receiver_id=bob.pk, message_ids=[first.pk])
    published.clear()
    with committed():
        services.send_messages(sends=[send(alice, bob, "Hello Bob")])
    assert published == [] and unread(bob, alice) == 1


@pytest.mark.parametrize(("case", "error"), [
    ("inactive receiver", NotFound("Receiver not found")),
    ("policy", Forbidden("You may not message this user")),
    ("too long", TooLarge("message is longer than 10 characters")),
    ("empty", ValidationFailed("message or attachment is required")),
    ("someone else's upload", NotFound("Attachment not found, not yours, or already attached")),
    ("upload already sent", NotFound("Attachment not found, not yours, or already attached")),
])
def test_a_refused_send_stores_and_pushes_nothing(case, error, alice, bob, settings, published, committed):
    settings.CHAT_MAX_MESSAGE_LENGTH = 10
    attachment_id = None
    if case == "inactive receiver":
        bob.is_active = False
        bob.save()
    elif case == "policy":
        settings.CHAT_MESSAGE_POLICY = f"{__name__}.nobody_may_message_bob"
    elif case == "someone else's upload":
        attachment_id = make_attachment(bob).pk
    elif case == "upload already sent":
        attachment_id = make_message(alice, make_user(), "", attachment=make_attachment(alice)).attachment_id
    text = {"too long": "x" * 11, "empty": ""}.get(case, "hello")
    messages_before = ChatMessage.objects.count()

    with committed():
        outcome, = services.send_messages(sends=[send(alice, bob, text, attachment_id=attachment_id)])

    assert (type(outcome), outcome.code, outcome.error) == (type(error), error.code, error.error)
    assert ChatMessage.objects.count() == messages_before and published == []
    assert not Conversation.objects.filter(participant1_id=min(alice.pk, bob.pk),
                                           participant2_id=max(alice.pk, bob.pk)).exists()


def test_an_upload_goes_with_the_message_that_takes_it(alice, bob, published, committed):
    attachment = make_attachment(alice, name="report.pdf")

    with committed():
        outcome, = services.send_messages(sends=[send(alice, bob, "", attachment_id=attachment.pk)])

    message = stored(outcome.pk)
    assert message.attachment_id == attachment.pk
    assert (published[0].frame["attachment"], published[0].frame["attachment_type"]) == (
        selectors.attachment_download_path(attachment.pk), "document")
    assert InAppNotification.objects.get().message == "Sent an attachment"


# Uploads ---------------------------------------------------------------------------------------

def media_files(settings) -> set[str]:
    return {os.path.join(root, name) for root, _, names in os.walk(settings.MEDIA_ROOT) for name in names}


def test_an_upload_is_typed_by_its_content_and_stored_under_a_generated_name(alice, settings):
    attachment = services.store_attachment(uploader_id=alice.pk, upload=SimpleUploadedFile(
        "report.pdf", PNG, content_type="application/pdf"))

    stored_row = Attachment.objects.get()
    assert (stored_row.pk, stored_row.uploader_id, stored_row.name, stored_row.size) == (
        attachment.pk, alice.pk, "report.pdf", len(PNG))
    assert (stored_row.attachment_type, stored_row.content_type) == ("image", "image/png")
    assert stored_row.file.name.endswith(".png") and "report" not in stored_row.file.name
    with stored_row.file.open("rb") as file:
        assert file.read() == PNG


def test_an_upload_past_the_uploaders_quota_is_refused_and_leaves_no_file(alice, bob, settings):
    settings.CHAT_ATTACHMENT_QUOTA_BYTES = 40
    text = b"sixteen bytes!!\n"
    for uploader in (alice, alice, bob):
        services.store_attachment(uploader_id=uploader.pk, upload=SimpleUploadedFile("notes.txt", text))
    files = media_files(settings)

    with pytest.raises(TooLarge) as refused:
        services.store_attachment(uploader_id=alice.pk, upload=SimpleUploadedFile("notes.txt", text))

    assert refused.value.error == ("The file would take your uploads past your storage quota of 40 bytes "
                                   "(32 bytes used)")
    assert Attachment.objects.filter(uploader=alice).count() == 2 and media_files(settings) == files


def test_an_upload_whose_row_fails_leaves_no_file(alice, settings, monkeypatch):
    files = media_files(settings)

    def fail(attachment, *args, **kwargs):
        raise DatabaseError("the row could not be written")

    monkeypatch.setattr(Attachment, "save", fail)
    with pytest.raises(DatabaseError):
        services.store_attachment(uploader_id=alice.pk, upload=SimpleUploadedFile("notes.txt", b"some text\n"))

    assert media_files(settings) == files


@pytest.mark.parametrize(("name", "content", "error"), [
    ("empty.txt", b"", "The file is empty"),
    ("..\\notes.txt", b"text\n", "The file name must not contain a path"),
    ("page.txt", b"<html><script>alert(1)</script>", "The file contains HTML, SVG or script content"),
])
def test_a_bad_upload_is_refused_and_stores_nothing(alice, settings, name, content, error):
    files = media_files(settings)
    with pytest.raises(ValidationFailed) as refused:
        services.store_attachment(uploader_id=alice.pk, upload=SimpleUploadedFile(name, content))
    assert refused.value.error.startswith(error)
    assert not Attachment.objects.exists() and media_files(settings) == files


# Delivery --------------------------------------------------------------------------------------

def receipt(message: ChatMessage) -> Push:
    message.refresh_from_db()
    return Push(frame={"type": "delivery_receipt", "message_id": message.pk, "conversation_id": message.conversation_id,
                       "delivered_at": iso_z(message.delivered_at)}, user_id=message.sender_id)


def by_message(pushes) -> list[Push]:
    """Receipts in message order (a single UPDATE returns its rows in no particular order)."""
    return sorted(pushes, key=lambda push: push.frame["message_id"])


def test_delivery_is_recorded_once_for_the_receivers_own_messages_and_tells_each_sender(alice, bob, published,
                                                                                      committed):
    carol = make_user("Carol")
    first, second, from_carol = make_message(alice, bob), make_message(alice, bob), make_message(carol, bob)
    earlier = make_message(alice, bob, delivered=True)
    earlier_delivered_at = ChatMessage.objects.get(pk=earlier.pk).delivered_at
    to_alice = make_message(bob, alice)
    sync_client().zadd(pending_key(bob.pk), {message.pk: message.pk for message in (first, second, from_carol)})

    with committed():
        delivered = services.mark_delivered(
            receiver_id=bob.pk, message_ids=[first.pk, second.pk, from_carol.pk, earlier.pk, to_alice.pk, 10**12])
    with committed():
        again = services.mark_delivered(receiver_id=bob.pk, message_ids=[first.pk, second.pk])

    assert sorted(delivered) == [first.pk, second.pk, from_carol.pk] and again == []
    assert by_message(published) == [receipt(first), receipt(second), receipt(from_carol)]
    assert ChatMessage.objects.get(pk=earlier.pk).delivered_at == earlier_delivered_at
    assert ChatMessage.objects.get(pk=to_alice.pk).delivered_at is None
    assert pending_ids(bob) == []


def test_delivery_for_several_receivers_is_one_call(alice, bob, published, committed):
    to_bob, to_alice = make_message(alice, bob), make_message(bob, alice)

    with committed():
        delivered = services.mark_delivered_many(receipts={bob.pk: [to_bob.pk, to_alice.pk], alice.pk: [to_alice.pk]})
    with committed():
        assert services.mark_delivered_many(receipts={}) == []

    assert sorted(delivered) == [to_bob.pk, to_alice.pk]
    assert by_message(published) == [receipt(to_bob), receipt(to_alice)]


def test_a_receipt_for_someone_elses_message_in_the_same_batch_leaves_the_receivers_pending_set_right(
        alice, bob, published, committed):
    carol = make_user("Carol")
    message = make_message(alice, bob)
    sync_client().zadd(pending_key(bob.pk), {message.pk: message.pk})

    with committed():
        delivered = services.mark_delivered_many(receipts={bob.pk: [message.pk], carol.pk: [message.pk]})

    assert delivered == [message.pk] and published == [receipt(message)]
    assert pending_ids(bob) == []


# Reading ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("selector", "error"), [
    ({}, "Provide message_ids, conversation_id, or sender_id"),
    ({"message_ids": [1], "sender_id": 2}, "Provide message_ids, conversation_id, or sender_id"),
    ({"conversation_id": 1, "sender_id": 2}, "Provide message_ids, conversation_id, or sender_id"),
    ({"up_to_id": 5}, "Provide message_ids, conversation_id, or sender_id"),
    ({"message_ids": [1], "up_to_id": 5}, "up_to_id goes with conversation_id or sender_id"),
])
def test_a_read_takes_exactly_one_selector(selector, error, alice, published, committed):
    with committed(), pytest.raises(ValidationFailed) as refused:
        services.mark_read(reader_id=alice.pk, **selector)
    assert refused.value.error == error and published == []


def test_reading_by_ids_marks_only_the_readers_unread_messages_and_keeps_every_count_exact(alice, bob, published,
                                                                                         committed):
    carol = make_user("Carol")
    first = make_message(alice, bob, "one")
    second = make_message(alice, bob, "two", delivered=True)
    third = make_message(alice, bob, "three")
    make_message(carol, bob)
    to_alice = make_message(bob, alice)
    chat_notification = make_notification(bob, "New message from Alice Smith", related_object_type="chat.conversation",
                                          related_object_id=first.conversation_id)
    delivered_at = ChatMessage.objects.get(pk=second.pk).delivered_at

    with committed():
        result = services.mark_read(reader_id=bob.pk, message_ids=[first.pk, second.pk, to_alice.pk],
                                    reply_channel=SOCKET)

    read_at = iso_z(result.read_at)
    assert result.count == 2 and (unread(bob, alice), unread(bob, carol), unread(alice, bob)) == (1, 1, 1)
    rows = {message.pk: message for message in ChatMessage.objects.all()}
    assert [(rows[m.pk].is_read, rows[m.pk].read_at) for m in (first, second, third, to_alice)] == [
        (True, result.read_at), (True, result.read_at), (False, None), (False, None)]
    assert (rows[first.pk].delivered_at, rows[second.pk].delivered_at) == (result.read_at, delivered_at)
    assert InAppNotification.objects.get(pk=chat_notification.pk).is_read
    # The chat streams' events first, then the notification stream's (the order a send takes them in).
    assert published.types() == ["read_receipt", "read_receipt", "unread_count", "notification_update",
                                 "read_receipt_sent"]
    assert by_message(published[0:2]) == [
        Push(frame={"type": "read_receipt", "message_id": message.pk, "conversation_id": message.conversation_id,
                    "reader_id": bob.pk, "reader_name": "Bob Builder", "read_at": read_at}, user_id=alice.pk)
        for message in (first, second)]
    assert [published[2], published[4]] == [
        Push(frame={"type": "unread_count", "total_unread": 2, "conversation_id": first.conversation_id,
                    "unread_count": 1}, user_id=bob.pk),
        Push(frame={"type": "read_receipt_sent", "count": 2}, channel=SOCKET),
    ]

    published.clear()
    with committed():
        again = services.mark_read(reader_id=bob.pk, message_ids=[first.pk, second.pk], reply_channel=SOCKET)
    assert again.count == 0 and unread(bob, alice) == 1
    assert published == [Push(frame={"type": "read_receipt_sent", "count": 0}, channel=SOCKET)]


def test_reading_a_conversation_up_to_the_message_shown_leaves_newer_ones_unread(alice, bob, published, committed):
    first, shown, newer = make_message(alice, bob), make_message(alice, bob), make_message(alice, bob)
    make_message(bob, alice)

    with committed():
        up_to_shown = services.mark_read(reader_id=bob.pk, conversation_id=first.conversation_id, up_to_id=shown.pk)
    assert (up_to_shown.count, unread(bob, alice), unread(alice, bob)) == (2, 1, 1)
    assert ChatMessage.objects.get(pk=newer.pk).is_read is False

    with committed():
        by_sender = services.mark_read(reader_id=bob.pk, sender_id=alice.pk)
    assert (by_sender.count, unread(bob, alice), unread(alice, bob)) == (1, 0, 1)
    assert [push.frame for push in published if push.frame["type"] == "unread_count"] == [
        {"type": "unread_count", "total_unread": 1, "conversation_id": first.conversation_id, "unread_count": 1},
        {"type": "unread_count", "total_unread": 0, "conversation_id": first.conversation_id, "unread_count": 0},
    ]


def test_reading_a_conversation_one_is_not_part_of_is_not_found(alice, bob, published, committed):
    message = make_message(alice, bob)
    outsider = make_user("Carol")

    with committed(), pytest.raises(NotFound, match=r"^Conversation not found$"):
        services.mark_read(reader_id=outsider.pk, conversation_id=message.conversation_id)

    assert ChatMessage.objects.get(pk=message.pk).is_read is False and unread(bob, alice) == 1 and published == []


# Typing ----------------------------------------------------------------------------------------

def test_typing_keeps_one_row_per_typist_and_partner_with_the_latest_state(alice, bob):
    services.record_typing(user_id=alice.pk, partner_id=bob.pk, is_typing=True)
    started = TypingIndicator.objects.get()
    assert (started.user_id, started.partner_id, started.is_typing, started.conversation_id) == (
        alice.pk, bob.pk, True, None)

    conversation = make_conversation(alice, bob)
    services.record_typing(user_id=alice.pk, partner_id=bob.pk, is_typing=False)
    services.record_typing(user_id=bob.pk, partner_id=alice.pk, is_typing=True)

    rows = {(row.user_id, row.partner_id): row for row in TypingIndicator.objects.all()}
    stopped = rows[(alice.pk, bob.pk)]
    assert len(rows) == 2 and stopped.pk == started.pk
    assert (stopped.is_typing, stopped.conversation_id) == (False, conversation.pk)
    assert stopped.last_activity_at >= started.last_activity_at
    assert (rows[(bob.pk, alice.pk)].is_typing, rows[(bob.pk, alice.pk)].conversation_id) == (True, conversation.pk)


def test_a_delivery_whose_receipt_cannot_be_recorded_is_not_stored_either(alice, bob, monkeypatch):
    """The receipt is an event of the sender's stream: a delivery that committed without it would
    never be recorded, since a retry finds the message delivered already."""
    message, = services.send_messages(sends=[send(alice, bob, "Hello Bob")])

    def unavailable(events):
        raise DatabaseError("the event stream could not be written")

    monkeypatch.setattr(stream, "record", unavailable)
    with pytest.raises(DatabaseError):
        services.mark_delivered(receiver_id=bob.pk, message_ids=[message.pk])
    monkeypatch.undo()

    assert stored(message.pk).delivered_at is None
    assert services.mark_delivered(receiver_id=bob.pk, message_ids=[message.pk]) == [message.pk]
    assert Event.objects.filter(user_id=alice.pk, frame__type="delivery_receipt").count() == 1
