"""Chat writes. Keyword-only, atomic and idempotent; every frame they cause is pushed on commit."""
from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from chat import pending, selectors, uploads
from chat.models import Attachment, ChatMessage, Conversation, TypingIndicator
from core.errors import Forbidden, NotFound, TooLarge, ValidationFailed
from core.fanout import Push, push_on_commit
from core.timestamps import iso_z, now_iso
from core.users import active_user_or_none, display_name
from notifications import services as notification_services
from presence.selectors import allowed_viewers, online_among


def idempotency_key_for(temp_id: str | None) -> str:
    """What makes a send idempotent: the client's temp_id, or a fresh key when it sent none."""
    return f"t:{temp_id}" if temp_id else f"s:{uuid.uuid4().hex}"


def validate_message_text(*, text: str, has_attachment: bool) -> None:
    if not text and not has_attachment:
        raise ValidationFailed("message or attachment is required")
    if len(text) > settings.CHAT_MAX_MESSAGE_LENGTH:
        raise TooLarge(f"message is longer than {settings.CHAT_MAX_MESSAGE_LENGTH} characters")


def send_message(
    *,
    sender_id: int,
    receiver_id: int,
    text: str,
    idempotency_key: str,
    temp_id: str | None = None,
    attachment_id: int | None = None,
    reply_channel: str | None = None,
) -> ChatMessage:
    """Stores a message once per (sender, idempotency_key) and fans it out after commit."""
    validate_message_text(text=text, has_attachment=attachment_id is not None)
    if sender_id == receiver_id:
        raise ValidationFailed("You cannot send a message to yourself")
    try:
        return _store_new_message(
            sender_id=sender_id, receiver_id=receiver_id, text=text, temp_id=temp_id,
            idempotency_key=idempotency_key, attachment_id=attachment_id, reply_channel=reply_channel,
        )
    except (IntegrityError, NotFound, Forbidden):
        # Stored already? A retry (its attachment claimed by then, the unique key taken), or a
        # concurrent copy of this send: answer with the stored row. Looking it up only here, not
        # before every insert, saves the common case a query (docs/performance.md).
        existing = selectors.sent_message(sender_id=sender_id, idempotency_key=idempotency_key)
        if existing is None:
            raise
        _push_again(existing, reply_channel)
        return existing


def _store_new_message(
    *, sender_id, receiver_id, text, temp_id, idempotency_key, attachment_id, reply_channel
) -> ChatMessage:
    active = get_user_model().objects.filter(pk__in=(sender_id, receiver_id), is_active=True).in_bulk()
    sender, receiver = active.get(sender_id), active.get(receiver_id)
    if sender is None or receiver is None:
        raise NotFound("Receiver not found")
    if not import_string(settings.CHAT_MESSAGE_POLICY)(sender, receiver):
        raise Forbidden("You may not message this user")
    with transaction.atomic():
        message = _store_message(
            sender=sender, receiver=receiver, text=text, temp_id=temp_id,
            idempotency_key=idempotency_key, attachment_id=attachment_id,
        )
        conversation = _count_new_message(message)
        _push_new_message(message, conversation, reply_channel)
        notification_services.notify_chat_message(message=message)
    return message


def _store_message(*, sender, receiver, text, temp_id, idempotency_key, attachment_id) -> ChatMessage:
    low, high = sorted((sender.pk, receiver.pk))
    conversation, created = Conversation.objects.get_or_create(participant1_id=low, participant2_id=high)
    if created:
        _introduce_new_contacts(conversation)
    attachment = _claim_attachment(uploader_id=sender.pk, attachment_id=attachment_id) if attachment_id else None
    message = ChatMessage.objects.create(
        conversation=conversation, sender=sender, receiver=receiver, message=text,
        temp_id=temp_id, idempotency_key=idempotency_key, attachment=attachment,
    )
    return message


def _introduce_new_contacts(conversation: Conversation) -> None:
    """A first message makes two people contacts: each learns at once that the other is online,
    instead of waiting for the other's next transition."""
    pair = (conversation.participant1_id, conversation.participant2_id)
    online = online_among(pair)
    push_on_commit(
        Push(frame={"type": "online_status_changed", "user_id": user_id, "is_online": True, "timestamp": now_iso()},
             user_id=viewer_id)
        for user_id, viewer_id in (pair, pair[::-1])
        if user_id in online and viewer_id in allowed_viewers(user_id, [viewer_id])
    )


def store_attachment(*, uploader_id: int, upload: UploadedFile) -> Attachment:
    """Stores an upload under a generated name, with the type its content really has.

    Not idempotent by nature (each upload is a new file); an upload nobody attaches stays its
    uploader's only. The file is written before the row, and removed again if the row fails.
    """
    name = uploads.check_name(upload.name or "")
    uploads.check_size(upload.size)
    content = b"".join(upload.chunks())
    sniffed = uploads.sniff(content)
    attachment = Attachment(
        uploader_id=uploader_id, attachment_type=sniffed.attachment_type, content_type=sniffed.mime,
        size=len(content), name=name,
    )
    attachment.file.save(f"{uuid.uuid4().hex}.{sniffed.extension}", ContentFile(content), save=False)
    try:
        attachment.save()
    except BaseException:
        attachment.file.delete(save=False)
        raise
    return attachment


def _claim_attachment(*, uploader_id: int, attachment_id: int) -> Attachment:
    attachment = (
        # Locks the upload's row only (the message side is an outer join); the message's unique
        # attachment_id is what finally makes a second claim fail.
        Attachment.objects.select_for_update(of=("self",))
        .filter(pk=attachment_id, uploader_id=uploader_id, message__isnull=True)
        .first()
    )
    if attachment is None:
        raise NotFound("Attachment not found, not yours, or already attached")
    return attachment


def _count_new_message(message: ChatMessage) -> Conversation:
    """One statement that also returns the new unread count (an UPDATE then a re-read was two)."""
    conversation = message.conversation
    unread_field = conversation.unread_field_for(message.receiver_id)
    conversation.last_message, conversation.last_message_at = message, message.timestamp
    conversation.updated_at = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Conversation._meta.db_table} SET last_message_id = %s, last_message_at = %s, updated_at = %s,"
            f" {unread_field} = {unread_field} + 1 WHERE id = %s RETURNING {unread_field}",
            [message.pk, message.timestamp, conversation.updated_at, conversation.pk],
        )
        setattr(conversation, unread_field, cursor.fetchone()[0])
    return conversation


def _push_new_message(message: ChatMessage, conversation: Conversation, reply_channel: str | None) -> None:
    frame = selectors.message_frame(message)
    pushes = [
        Push(frame=frame, user_id=message.receiver_id),
        Push(frame=frame, user_id=message.sender_id, exclude_channel=reply_channel),
        Push(frame=selectors.unread_count_frame(conversation, message.receiver_id), user_id=message.receiver_id),
    ]
    if reply_channel:
        pushes.insert(0, Push(frame=selectors.message_frame(message, "message_sent"), channel=reply_channel,
                              reply_to=message.idempotency_key))
    push_on_commit(pushes)
    pending.remember_on_commit(receiver_id=message.receiver_id, message_id=message.pk)


def _push_again(message: ChatMessage, reply_channel: str | None) -> None:
    """A retried send: confirm it again, and re-offer it to a receiver who may never have had it."""
    pushes = []
    if reply_channel:
        pushes.append(Push(frame=selectors.message_frame(message, "message_sent"), channel=reply_channel,
                           reply_to=message.idempotency_key))
    if message.delivered_at is None:
        pushes.append(Push(frame=selectors.message_frame(message), user_id=message.receiver_id))
    push_on_commit(pushes)


@dataclass(frozen=True)
class ChangedMessage:
    id: int
    sender_id: int
    conversation_id: int


def _update_returning(sql: str, params: list) -> list[ChangedMessage]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [ChangedMessage(*row) for row in cursor.fetchall()]


def mark_delivered(*, receiver_id: int, message_ids: list[int]) -> list[int]:
    """Sets `delivered_at` where still null; the senders get `delivery_receipt`s. Idempotent."""
    return mark_delivered_many(receipts={receiver_id: message_ids})


def mark_delivered_many(*, receipts: Mapping[int, Iterable[int]]) -> list[int]:
    """`mark_delivered` for several receivers at once, in one statement (so no transaction)."""
    pairs = [(receiver_id, message_id) for receiver_id, message_ids in receipts.items() for message_id in message_ids]
    if not pairs:
        return []
    delivered_at = timezone.now()
    changed = _update_returning(
        "UPDATE chat_message AS m SET delivered_at = %s"
        " FROM unnest(%s::bigint[], %s::bigint[]) AS r(receiver_id, id)"
        " WHERE m.id = r.id AND m.receiver_id = r.receiver_id AND m.delivered_at IS NULL"
        " RETURNING m.id, m.sender_id, m.conversation_id",
        [delivered_at, [receiver for receiver, _ in pairs], [message for _, message in pairs]],
    )
    receiver_of = {message_id: receiver_id for receiver_id, message_id in pairs}
    pending.forget_on_commit((receiver_of[row.id], row.id) for row in changed)
    push_on_commit(
        Push(
            frame={"type": "delivery_receipt", "message_id": row.id, "conversation_id": row.conversation_id,
                   "delivered_at": iso_z(delivered_at)},
            user_id=row.sender_id,
        )
        for row in changed
    )
    return [row.id for row in changed]


@dataclass(frozen=True)
class ReadResult:
    count: int
    read_at: datetime


def mark_read(
    *,
    reader_id: int,
    message_ids: list[int] | None = None,
    conversation_id: int | None = None,
    sender_id: int | None = None,
    reply_channel: str | None = None,
) -> ReadResult:
    """Marks the reader's received unread messages read, by exactly one selector (CONTRACT §2)."""
    if sum(selector is not None for selector in (message_ids, conversation_id, sender_id)) != 1:
        raise ValidationFailed("Provide message_ids, conversation_id, or sender_id")
    if conversation_id is not None and selectors.conversation_of_user(user_id=reader_id, conversation_id=conversation_id) is None:
        raise NotFound("Conversation not found")
    column, value = (
        ("id", list(message_ids)) if message_ids is not None
        else ("conversation_id", [conversation_id]) if conversation_id is not None
        else ("sender_id", [sender_id])
    )
    read_at = timezone.now()
    with transaction.atomic():
        changed = _update_returning(
            "UPDATE chat_message SET is_read = TRUE, read_at = %s, delivered_at = COALESCE(delivered_at, %s)"
            f" WHERE receiver_id = %s AND is_read = FALSE AND {column} = ANY(%s)"
            " RETURNING id, sender_id, conversation_id",
            [read_at, read_at, reader_id, value],
        )
        conversations = _uncount_read_messages(reader_id=reader_id, changed=changed)
        pending.forget_on_commit((reader_id, row.id) for row in changed)
        for conversation in conversations:
            notification_services.mark_read_by_object(
                user_id=reader_id, related_object_type=notification_services.CHAT_CONVERSATION,
                related_object_id=conversation.pk,
            )
        _push_read(reader_id=reader_id, read_at=read_at, changed=changed, conversations=conversations)
        if reply_channel:
            push_on_commit([Push(frame={"type": "read_receipt_sent", "count": len(changed)}, channel=reply_channel)])
    return ReadResult(count=len(changed), read_at=read_at)


def _uncount_read_messages(*, reader_id: int, changed: list[ChangedMessage]) -> list[Conversation]:
    """Each message turns read once (the conditional UPDATE), so subtracting keeps counters exact."""
    read_per_conversation: dict[int, int] = defaultdict(int)
    for row in changed:
        read_per_conversation[row.conversation_id] += 1
    conversations = list(Conversation.objects.filter(pk__in=read_per_conversation).order_by("pk"))
    for conversation in conversations:
        field = conversation.unread_field_for(reader_id)
        Conversation.objects.filter(pk=conversation.pk).update(
            **{field: F(field) - read_per_conversation[conversation.pk]}
        )
        conversation.refresh_from_db()
    return conversations


def _push_read(*, reader_id: int, read_at: datetime, changed: list[ChangedMessage], conversations: list[Conversation]) -> None:
    reader = active_user_or_none(reader_id)
    reader_name = display_name(reader) if reader else ""
    receipts = (
        Push(
            frame={"type": "read_receipt", "message_id": row.id, "conversation_id": row.conversation_id,
                   "reader_id": reader_id, "reader_name": reader_name, "read_at": iso_z(read_at)},
            user_id=row.sender_id,
        )
        for row in changed
    )
    counts = (Push(frame=selectors.unread_count_frame(c, reader_id), user_id=reader_id) for c in conversations)
    push_on_commit([*receipts, *counts])


def record_typing(*, user_id: int, partner_id: int, is_typing: bool) -> None:
    """Keeps the last typing activity per pair; callers write at most once per typing TTL."""
    conversation = selectors.conversation_between(user_id, partner_id)
    TypingIndicator.objects.update_or_create(
        user_id=user_id, partner_id=partner_id,
        defaults={"is_typing": is_typing, "last_activity_at": timezone.now(), "conversation": conversation},
    )
