"""Chat writes. Keyword-only, atomic and idempotent; every frame they cause is pushed on commit."""
from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.module_loading import import_string

from chat import notifications as chat_notifications
from chat import pending, selectors, uploads
from chat.models import (
    Attachment,
    ChatMessage,
    Conversation,
    ConversationMute,
    MessageRevision,
    Reaction,
    TypingIndicator,
    UserBlock,
)
from core import metrics
from core.errors import ClientError, Conflict, Forbidden, NotFound, ValidationFailed
from core.timestamps import iso_z
from core.users import active_user, active_user_or_none, display_name
from core.validation import MAX_ID, parse_text
from notifications import services as notification_services
from presence import services as presence_services
from realtime import delivery_log, frames, replies, stream
from realtime.fanout import Push, push_on_commit

# At most this many different emoji on one message (docs/websocket-api.md "Reactions").
MAX_REACTIONS_PER_MESSAGE = 20
# Namespace of the per-user advisory lock that keeps the upload quota exact under parallel uploads.
UPLOAD_QUOTA_LOCK_NAMESPACE = 0x75706C64


def idempotency_key_for(temp_id: str | None) -> str:
    """What makes a send idempotent: the client's temp_id, or a fresh key when it sent none."""
    return f"t:{temp_id}" if temp_id else f"s:{uuid.uuid4().hex}"


def validate_message_text(*, text: str, has_attachment: bool) -> None:
    if not text and not has_attachment:
        raise ValidationFailed("message or attachment is required")
    parse_text(text, "message", max_length=settings.CHAT_MAX_MESSAGE_LENGTH)


@dataclass(frozen=True)
class NewMessage:
    """One send, as a socket or the REST API received it."""

    sender_id: int
    receiver_id: int
    text: str
    idempotency_key: str
    temp_id: str | None = None
    attachment_id: int | None = None
    reply_channel: str | None = None
    reply_to_id: int | None = None


SendOutcome = ChatMessage | ClientError


def send_messages(*, sends: Sequence[NewMessage]) -> list[SendOutcome]:
    """Stores each send once per (sender, idempotency_key), in the batch's order, and fans the
    messages out after commit. One outcome per send: the stored message or the reason it was
    refused. A batch costs about the statements of one send, which is what lets the workers keep
    up with a busy server (docs/performance.md); a single send is a batch of one."""
    users = get_user_model().objects.filter(
        pk__in={user_id for send in sends for user_id in (send.sender_id, send.receiver_id)}, is_active=True
    ).in_bulk()
    context = SendContext(users=users, blocked=selectors.blocked_pairs(_pair(send) for send in sends),
                          replied=selectors.messages_replied_to({send.reply_to_id for send in sends} - {None}))
    refusals = [_refusal(send, context) for send in sends]
    accepted = [index for index, refusal in enumerate(refusals) if refusal is None]
    batch = [sends[index] for index in accepted]
    try:
        stored: list[SendOutcome] = list(_store_new_messages(batch, context))
    except (IntegrityError, NotFound):
        # Some send is stored already (a retry, a re-sent temp_id) or its attachment is taken: one
        # at a time, so that each finds its own row or its own error. Looking stored rows up only
        # here, not before every insert, saves the common case a query.
        stored = [_store_or_find(send, context) for send in batch]
    stored_at = dict(zip(accepted, stored, strict=True))
    return [refusal if refusal is not None else stored_at[index] for index, refusal in enumerate(refusals)]


@dataclass(frozen=True)
class SendContext:
    """What a batch of sends is judged and stored with, read once for the batch."""

    users: Mapping[int, User]
    # (blocker_id, blocked_id) among the batch's pairs.
    blocked: set[tuple[int, int]]
    replied: Mapping[int, ChatMessage]


def _refusal(send: NewMessage, context: SendContext) -> ClientError | None:
    try:
        validate_message_text(text=send.text, has_attachment=send.attachment_id is not None)
        if send.sender_id == send.receiver_id:
            raise ValidationFailed("You cannot send a message to yourself")
        sender, receiver = context.users.get(send.sender_id), context.users.get(send.receiver_id)
        if sender is None or receiver is None:
            raise NotFound("Receiver not found")
        if (send.receiver_id, send.sender_id) in context.blocked:
            raise Forbidden("You cannot message this user")
        if (send.sender_id, send.receiver_id) in context.blocked:
            raise Forbidden("You have blocked this user; unblock them to send a message")
        if not import_string(settings.CHAT_MESSAGE_POLICY)(sender, receiver):
            raise Forbidden("You may not message this user")
        if send.reply_to_id is not None and not _can_reply_to(send, context.replied.get(send.reply_to_id)):
            raise NotFound("The message replied to is not in this conversation")
    except ClientError as error:
        return error
    return None


def _can_reply_to(send: NewMessage, original: ChatMessage | None) -> bool:
    """A reply quotes a message of its own conversation that has not been deleted."""
    return (original is not None and original.deleted_at is None
            and {original.sender_id, original.receiver_id} == {send.sender_id, send.receiver_id})


def _store_or_find(send: NewMessage, context: SendContext) -> SendOutcome:
    try:
        return _store_new_messages([send], context)[0]
    except (IntegrityError, NotFound) as error:
        existing = selectors.sent_message(sender_id=send.sender_id, idempotency_key=send.idempotency_key)
        if existing is None:
            if isinstance(error, ClientError):
                return error
            raise
        if not _is_retry_of(send, existing):
            # Confirming the stored message would tell the client that this different one was sent.
            return Conflict("temp_id was already used for a different message")
        _push_again(existing, send.reply_channel)
        return existing


def _is_retry_of(send: NewMessage, message: ChatMessage) -> bool:
    """The same send again. A message edited or deleted since keeps answering its retries."""
    if message.edited_at is not None or message.deleted_at is not None:
        return (send.receiver_id, send.reply_to_id) == (message.receiver_id, message.reply_to_id)
    return ((send.receiver_id, send.text, send.attachment_id, send.reply_to_id)
            == (message.receiver_id, message.message, message.attachment_id, message.reply_to_id))


def _store_new_messages(sends: Sequence[NewMessage], context: SendContext) -> list[ChatMessage]:
    if not sends:
        return []
    users = context.users
    with transaction.atomic():
        conversations = _lock_conversations({_pair(send) for send in sends})
        messages = ChatMessage.objects.bulk_create([
            ChatMessage(
                conversation=conversations[_pair(send)], sender=users[send.sender_id], receiver=users[send.receiver_id],
                message=send.text, temp_id=send.temp_id, idempotency_key=send.idempotency_key,
                attachment=_claim_attachment(uploader_id=send.sender_id, attachment_id=send.attachment_id)
                if send.attachment_id else None,
                reply_to=context.replied[send.reply_to_id] if send.reply_to_id else None,
            )
            for send in sends
        ])
        _count_new_messages(messages)
        transaction.on_commit(partial(metrics.messages_stored, len(messages)))
        _push_new_messages(messages, [send.reply_channel for send in sends])
        chat_notifications.notify_chat_messages(messages=messages)
    return messages


def _pair(send: NewMessage) -> tuple[int, int]:
    low, high = sorted((send.sender_id, send.receiver_id))
    return low, high


def _lock_conversations(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], Conversation]:
    """The pairs' conversations, created where missing, locked in id order so that two batches
    touching the same conversations wait for each other instead of deadlocking."""
    found = _conversations_locked(pairs)
    missing = pairs - found.keys()
    if missing:
        Conversation.objects.bulk_create(
            [Conversation(participant1_id=low, participant2_id=high) for low, high in sorted(missing)],
            ignore_conflicts=True,
        )
        found |= _conversations_locked(missing)
        for pair in sorted(missing):
            _introduce_new_contacts(found[pair])
    return found


def _conversations_locked(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], Conversation]:
    lows, highs = zip(*pairs, strict=True)
    conversations = Conversation.objects.raw(
        f"SELECT * FROM {Conversation._meta.db_table} WHERE (participant1_id, participant2_id) IN"
        " (SELECT * FROM unnest(%s::bigint[], %s::bigint[])) ORDER BY id FOR UPDATE",
        [list(lows), list(highs)],
    )
    return {(conversation.participant1_id, conversation.participant2_id): conversation for conversation in conversations}


def _count_new_messages(messages: Sequence[ChatMessage]) -> None:
    """One statement for the batch: each conversation's last message and its receivers' unread
    counts (exact: the counters only move in UPDATEs); the new values are set on the messages'
    conversation objects, for the frames."""
    by_conversation: dict[int, list[ChatMessage]] = defaultdict(list)
    for message in messages:
        by_conversation[message.conversation_id].append(message)
    updated_at = timezone.now()
    columns: dict[str, list] = defaultdict(list)
    for conversation_id, received in by_conversation.items():
        conversation = received[-1].conversation
        columns["id"].append(conversation_id)
        columns["last_id"].append(received[-1].pk)
        columns["last_at"].append(received[-1].timestamp)
        for participant in (1, 2):
            receiver_id = getattr(conversation, f"participant{participant}_id")
            columns[f"p{participant}_new"].append(sum(message.receiver_id == receiver_id for message in received))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Conversation._meta.db_table} AS c SET last_message_id = v.last_id, last_message_at = v.last_at,"
            " updated_at = %s, participant1_unread_count = c.participant1_unread_count + v.p1_new,"
            " participant2_unread_count = c.participant2_unread_count + v.p2_new"
            " FROM unnest(%s::bigint[], %s::bigint[], %s::timestamptz[], %s::int[], %s::int[])"
            " AS v(id, last_id, last_at, p1_new, p2_new)"
            " WHERE c.id = v.id RETURNING c.id, c.participant1_unread_count, c.participant2_unread_count",
            [updated_at, columns["id"], columns["last_id"], columns["last_at"], columns["p1_new"], columns["p2_new"]],
        )
        counts = {row[0]: row[1:] for row in cursor.fetchall()}
    for conversation_id, received in by_conversation.items():
        conversation = received[-1].conversation
        conversation.last_message, conversation.last_message_at = received[-1], received[-1].timestamp
        conversation.updated_at = updated_at
        conversation.participant1_unread_count, conversation.participant2_unread_count = counts[conversation_id]


def _push_new_messages(messages: Sequence[ChatMessage], reply_channels: Sequence[str | None]) -> None:
    """Each message to its receiver and to the sender's sockets (the sending socket sees it as
    `message_sent`), then each receiver's unread count, once per conversation of the batch."""
    pushes = []
    for message, reply_channel in zip(messages, reply_channels, strict=True):
        frame = frames.message(selectors.message_payload(message, reactions=[]))
        pushes.append(Push(frame=frame, user_id=message.receiver_id))
        pushes.append(replies.confirmation(frame, reply_channel=reply_channel, idempotency_key=message.idempotency_key,
                                           sender_id=message.sender_id))
    counted = list({(message.conversation_id, message.receiver_id): (message.conversation, message.receiver_id)
                    for message in messages}.values())
    counts = selectors.unread_count_frames(counted)
    pushes.extend(Push(frame=frame, user_id=receiver_id) for (_, receiver_id), frame in zip(counted, counts, strict=True))
    push_on_commit(pushes)
    pending.remember_on_commit((message.receiver_id, message.pk) for message in messages)


def _push_again(message: ChatMessage, reply_channel: str | None) -> None:
    """A retried send is confirmed again. The receiver is not offered it again: the message is an
    event of their stream, which reaches every socket of theirs (realtime.stream)."""
    if reply_channel:
        payload = selectors.message_payload(message)
        push_on_commit([replies.confirmation_of_retry(frames.message_sent(payload), reply_channel=reply_channel,
                                                      idempotency_key=message.idempotency_key)])


def _introduce_new_contacts(conversation: Conversation) -> None:
    """A first message makes two people contacts; each learns the other's presence after commit."""
    pair = (conversation.participant1_id, conversation.participant2_id)
    # Robust: a Redis fault here must not fail a send that is already stored.
    transaction.on_commit(lambda: presence_services.introduce_contacts(pair), robust=True)


def store_attachment(*, uploader_id: int, upload: UploadedFile) -> Attachment:
    """Stores an upload under a generated name, with the type its content really has.

    Not idempotent by nature (each upload is a new file); an upload nobody attaches stays its
    uploader's only, until `remove_unattached_attachments` removes it. Refused (`too_large`) when
    it would take the uploader's stored files past `CHAT_ATTACHMENT_QUOTA_BYTES`. The file is
    written before the row, and removed again if the row fails.
    """
    name = uploads.check_name(upload.name or "")
    uploads.check_size(upload.size or 0)
    content = b"".join(upload.chunks())
    sniffed = uploads.sniff(content)
    attachment = Attachment(
        uploader_id=uploader_id, attachment_type=sniffed.attachment_type, content_type=sniffed.mime,
        size=len(content), name=name,
    )
    try:
        with transaction.atomic():
            # One upload of a user at a time past this point, so that parallel uploads cannot
            # together pass the quota.
            _lock_upload_quota(uploader_id)
            stored = Attachment.objects.filter(uploader_id=uploader_id).aggregate(total=Sum("size"))["total"]
            uploads.check_quota(stored=stored or 0, size=attachment.size)
            attachment.file.save(f"{uuid.uuid4().hex}.{sniffed.extension}", ContentFile(content), save=False)
            attachment.save()
    except BaseException:
        if attachment.file:
            attachment.file.delete(save=False)
        raise
    return attachment


def _lock_upload_quota(uploader_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [UPLOAD_QUOTA_LOCK_NAMESPACE, uploader_id % 2**31])


def remove_unattached_attachments(*, created_before: datetime, batch_size: int, max_batches: int) -> int:
    """Removes the uploads made before `created_before` that no message took, rows and then files,
    in batches of `batch_size`, at most `max_batches` of them per call (the next call goes on).
    Returns how many it removed."""
    removed = 0
    for _ in range(max_batches):
        batch = _remove_unattached_batch(created_before=created_before, limit=batch_size)
        removed += batch
        if batch < batch_size:
            break
    return removed


def _remove_unattached_batch(*, created_before: datetime, limit: int) -> int:
    with transaction.atomic():
        # Rows a send is claiming right now are locked by it, and skipped.
        locked = list(
            Attachment.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(message__isnull=True, created_at__lt=created_before)
            .order_by("pk").values_list("pk", flat=True)[:limit]
        )
        # Read again under the locks: a send that claimed one just before it was locked has committed.
        expired = Attachment.objects.filter(pk__in=locked, message__isnull=True)
        file_names = list(expired.values_list("file", flat=True))
        expired.delete()
        # The files go once no row points to them any more.
        transaction.on_commit(lambda: _delete_files(file_names), robust=True)
    return len(file_names)


def _delete_files(names: list[str]) -> None:
    storage = Attachment._meta.get_field("file").storage
    for name in names:
        storage.delete(name)


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


@dataclass(frozen=True)
class ChangedMessage:
    id: int
    sender_id: int
    receiver_id: int
    conversation_id: int


def _update_returning(sql: str, params: list) -> list[ChangedMessage]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [ChangedMessage(*row) for row in cursor.fetchall()]


def mark_delivered(*, receiver_id: int, message_ids: list[int]) -> list[int]:
    """Sets `delivered_at` where still null; the senders get `delivery_receipt`s. Idempotent."""
    return mark_delivered_many(receipts={receiver_id: message_ids})


def mark_delivered_many(*, receipts: Mapping[int, Iterable[int]],
                        socket_writes: Iterable[tuple[int, int, dict[str, Any]]] = ()) -> list[int]:
    """`mark_delivered` for several receivers at once, in one statement; the senders' receipts are
    events of their streams, recorded in the same transaction (a receipt whose update committed
    alone would never be recorded: a retry changes no row). `socket_writes` (receiver id, message
    id, `realtime.delivery_log.write_record`) go to the delivery log in the same transaction."""
    pairs = [(receiver_id, message_id) for receiver_id, message_ids in receipts.items() for message_id in message_ids]
    if not pairs:
        return []
    with transaction.atomic():
        delivery_log.record(kind="message", writes=socket_writes)
        return _mark_delivered_pairs(pairs)


def _mark_delivered_pairs(pairs: list[tuple[int, int]]) -> list[int]:
    delivered_at = timezone.now()
    changed = _update_returning(
        "UPDATE chat_message AS m SET delivered_at = %s"
        " FROM unnest(%s::bigint[], %s::bigint[]) AS r(receiver_id, id)"
        " WHERE m.id = r.id AND m.receiver_id = r.receiver_id AND m.delivered_at IS NULL"
        " RETURNING m.id, m.sender_id, m.receiver_id, m.conversation_id",
        [delivered_at, [receiver for receiver, _ in pairs], [message for _, message in pairs]],
    )
    # The row's own receiver: one batch may also hold a receipt for the same message from someone else.
    pending.forget_on_commit((row.receiver_id, row.id) for row in changed)
    push_on_commit(
        Push(
            frame=frames.delivery_receipt(message_id=row.id, conversation_id=row.conversation_id,
                                          delivered_at=iso_z(delivered_at)),
            user_id=row.sender_id,
        )
        for row in changed
    )
    return [row.id for row in changed]


@dataclass(frozen=True)
class ReadResult:
    count: int
    read_at: datetime


def validate_read_selector(
    *, message_ids: list[int] | None, conversation_id: int | None, sender_id: int | None, up_to_id: int | None
) -> None:
    """Exactly one selector; a watermark only with a conversation or a sender (the ids are explicit already)."""
    if sum(selector is not None for selector in (message_ids, conversation_id, sender_id)) != 1:
        raise ValidationFailed("Provide message_ids, conversation_id, or sender_id")
    if up_to_id is not None and message_ids is not None:
        raise ValidationFailed("up_to_id goes with conversation_id or sender_id")


def mark_read(
    *,
    reader_id: int,
    message_ids: list[int] | None = None,
    conversation_id: int | None = None,
    sender_id: int | None = None,
    up_to_id: int | None = None,
    reply_channel: str | None = None,
) -> ReadResult:
    """Marks the reader's received unread messages read, by exactly one selector (docs/websocket-api.md).

    `up_to_id` is the newest message the reader was shown: a message that arrived after it, with a
    higher id, stays unread. Without it every unread message of the selector is marked.
    """
    validate_read_selector(message_ids=message_ids, conversation_id=conversation_id, sender_id=sender_id,
                           up_to_id=up_to_id)
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
            f" WHERE receiver_id = %s AND is_read = FALSE AND deleted_at IS NULL AND {column} = ANY(%s) AND id <= %s"
            " RETURNING id, sender_id, receiver_id, conversation_id",
            [read_at, read_at, reader_id, value, MAX_ID if up_to_id is None else up_to_id],
        )
        conversations = _uncount_read_messages(reader_id=reader_id, changed=changed)
        pending.forget_on_commit((reader_id, row.id) for row in changed)
        # Chat streams before the notification stream, as a send records them: two transactions
        # that take the same heads in opposite orders would deadlock.
        _push_read(reader_id=reader_id, read_at=read_at, changed=changed, conversations=conversations)
        for conversation in conversations:
            notification_services.mark_read_by_object(
                user_id=reader_id, related_object_type=chat_notifications.CHAT_CONVERSATION,
                related_object_id=conversation.pk,
            )
        if reply_channel:
            push_on_commit([Push(frame=frames.read_receipt_sent(len(changed)), channel=reply_channel)])
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
            frame=frames.read_receipt(message_id=row.id, conversation_id=row.conversation_id, reader_id=reader_id,
                                      reader_name=reader_name, read_at=iso_z(read_at)),
            user_id=row.sender_id,
        )
        for row in changed
    )
    counts = (Push(frame=frame, user_id=reader_id)
              for frame in selectors.unread_count_frames((conversation, reader_id) for conversation in conversations))
    push_on_commit([*receipts, *counts])


def record_typing(*, user_id: int, partner_id: int, is_typing: bool) -> None:
    """Keeps the last typing activity per pair; callers write at most once per typing TTL."""
    conversation = selectors.conversation_between(user_id, partner_id)
    TypingIndicator.objects.update_or_create(
        user_id=user_id, partner_id=partner_id,
        defaults={"is_typing": is_typing, "last_activity_at": timezone.now(), "conversation": conversation},
    )


# Changing a sent message ------------------------------------------------------------------------

def _message_locked(*, user_id: int, message_id: int) -> ChatMessage:
    """A message of one of the user's conversations, locked until the commit, so that its edits,
    deletion and reactions apply one at a time. Anyone else's is not found, not forbidden."""
    message = (ChatMessage.objects.select_for_update(of=("self",)).select_related("attachment")
               .filter(Q(sender_id=user_id) | Q(receiver_id=user_id), pk=message_id).first())
    if message is None:
        raise NotFound("Message not found")
    return message


def _to_both(message: ChatMessage, frame: frames.Frame) -> list[Push]:
    return [Push(frame=frame, user_id=message.sender_id), Push(frame=frame, user_id=message.receiver_id)]


def edit_message(*, editor_id: int, message_id: int, text: str) -> ChatMessage:
    """Replaces the text of the editor's own message, within CHAT_EDIT_WINDOW_SECONDS of sending;
    the text it replaces is kept as a revision. Idempotent: the same text again changes nothing."""
    with transaction.atomic():
        message = _message_locked(user_id=editor_id, message_id=message_id)
        if message.deleted_at is not None:
            raise NotFound("Message not found")
        if message.sender_id != editor_id:
            raise Forbidden("Only the sender may edit a message")
        if timezone.now() - message.timestamp > timedelta(seconds=settings.CHAT_EDIT_WINDOW_SECONDS):
            raise Forbidden("This message can no longer be edited")
        validate_message_text(text=text, has_attachment=message.attachment_id is not None)
        if text == message.message:
            return message
        MessageRevision.objects.create(message=message, action=MessageRevision.EDITED, previous_text=message.message)
        message.message, message.edited_at = text, timezone.now()
        message.save(update_fields=["message", "edited_at"])
        push_on_commit(_to_both(message, frames.message_edited(
            message_id=message.pk, conversation_id=message.conversation_id, text=text,
            edited_at=iso_z(message.edited_at))))
    return message


def delete_message(*, user_id: int, message_id: int) -> ChatMessage:
    """Takes back the user's own message: its text goes from every read path and every stored
    event, its attachment is no longer served (and its file goes after
    CHAT_DELETED_ATTACHMENT_RETENTION_SECONDS), and an unread one stops counting. The row and a
    revision with what was removed stay for the admin. Idempotent."""
    with transaction.atomic():
        message = _message_locked(user_id=user_id, message_id=message_id)
        if message.sender_id != user_id:
            raise Forbidden("Only the sender may delete a message")
        if message.deleted_at is not None:
            return message
        MessageRevision.objects.create(
            message=message, action=MessageRevision.DELETED, previous_text=message.message,
            previous_attachment_name=message.attachment.name if message.attachment else "",
        )
        message.message, message.deleted_at = "", timezone.now()
        message.save(update_fields=["message", "deleted_at"])
        deleted_at = iso_z(message.deleted_at)
        pushes = _to_both(message, frames.message_deleted(
            message_id=message.pk, conversation_id=message.conversation_id, deleted_at=deleted_at))
        if not message.is_read:
            pushes += _uncount_deleted(message)
        _redact_events(message, deleted_at=deleted_at)
        chat_notifications.redact_message(message=message)
        push_on_commit(pushes)
    return message


def _uncount_deleted(message: ChatMessage) -> list[Push]:
    """An unread message that is deleted leaves its receiver's counts (mark_read never counts it again)."""
    field = message.conversation.unread_field_for(message.receiver_id)
    Conversation.objects.filter(pk=message.conversation_id).update(**{field: F(field) - 1})
    conversation = Conversation.objects.get(pk=message.conversation_id)
    pending.forget_on_commit([(message.receiver_id, message.pk)])
    [frame] = selectors.unread_count_frames([(conversation, message.receiver_id)])
    return [Push(frame=frame, user_id=message.receiver_id)]


def _redact_events(message: ChatMessage, *, deleted_at: str) -> None:
    """A resume must not bring a deleted text back: the stored events that carry it (the message
    itself, its edits, replies quoting it) are rewritten as deleted."""
    users = [message.sender_id, message.receiver_id]
    stream.amend(user_ids=users, family="chat", types=["message"], match=["id"], value=message.pk,
                 changes=selectors.DELETED_MESSAGE_FIELDS | {"deleted_at": deleted_at})
    stream.amend(user_ids=users, family="chat", types=["message_edited"], match=["id"], value=message.pk,
                 changes={"message": ""})
    stream.amend(user_ids=users, family="chat", types=["message"], match=["reply_to", "id"], value=message.pk,
                 changes={"message": "", "deleted": True}, within="reply_to")


def react(*, user_id: int, message_id: int, emoji: str, add: bool) -> bool:
    """Adds or removes the user's `emoji` on a message of their conversation; returns whether
    anything changed (adding twice, or removing what is not there, changes nothing)."""
    with transaction.atomic():
        message = _message_locked(user_id=user_id, message_id=message_id)
        if message.deleted_at is not None:
            raise NotFound("Message not found")
        if add:
            changed = _add_reaction(message, user_id=user_id, emoji=emoji)
        else:
            changed = Reaction.objects.filter(message=message, user_id=user_id, emoji=emoji).delete()[0] > 0
        if changed:
            push_on_commit(_to_both(message, frames.reaction(
                message_id=message.pk, conversation_id=message.conversation_id, user_id=user_id, emoji=emoji,
                added=add)))
    return changed


def _add_reaction(message: ChatMessage, *, user_id: int, emoji: str) -> bool:
    present = set(Reaction.objects.filter(message=message).values_list("emoji", flat=True))
    if emoji not in present and len(present) >= MAX_REACTIONS_PER_MESSAGE:
        raise ValidationFailed(f"A message holds at most {MAX_REACTIONS_PER_MESSAGE} different reactions")
    _, created = Reaction.objects.get_or_create(message=message, user_id=user_id, emoji=emoji)
    return created


# One run removes at most this many attachments of deleted messages; the next run goes on.
DELETED_ATTACHMENT_BATCH = 500


def remove_deleted_attachments(*, deleted_before: datetime, batch_size: int, max_batches: int) -> int:
    """Removes the attachments of messages deleted before `deleted_before`, rows and then files,
    a bounded number per call. Returns how many it removed."""
    removed = 0
    for _ in range(max_batches):
        with transaction.atomic():
            expired = list(Attachment.objects.select_for_update(skip_locked=True)
                           .filter(message__deleted_at__lt=deleted_before).order_by("pk")[:batch_size])
            Attachment.objects.filter(pk__in=[attachment.pk for attachment in expired]).delete()
            file_names = [str(attachment.file.name) for attachment in expired]
            transaction.on_commit(partial(_delete_files, file_names), robust=True)
        removed += len(expired)
        if len(expired) < batch_size:
            break
    return removed


# Per-person settings ----------------------------------------------------------------------------

def mute_conversation(*, user_id: int, conversation_id: int, until: datetime | None) -> ConversationMute:
    """No chat notifications from this conversation for the user until `until` (None: until
    unmuted). Messages still arrive and count as unread. Muting again replaces the end."""
    if selectors.conversation_of_user(user_id=user_id, conversation_id=conversation_id) is None:
        raise NotFound("Conversation not found")
    if until is not None and until <= timezone.now():
        raise ValidationFailed("until must be in the future")
    mute, _ = ConversationMute.objects.update_or_create(conversation_id=conversation_id, user_id=user_id,
                                                         defaults={"until": until})
    return mute


def unmute_conversation(*, user_id: int, conversation_id: int) -> None:
    if selectors.conversation_of_user(user_id=user_id, conversation_id=conversation_id) is None:
        raise NotFound("Conversation not found")
    ConversationMute.objects.filter(conversation_id=conversation_id, user_id=user_id).delete()


def block_user(*, blocker_id: int, blocked_id: int) -> UserBlock:
    """From now on neither person's messages, typing or presence reach the other; the history
    stays. Idempotent."""
    if blocker_id == blocked_id:
        raise ValidationFailed("You cannot block yourself")
    active_user(blocked_id)
    block, _ = UserBlock.objects.get_or_create(blocker_id=blocker_id, blocked_id=blocked_id)
    return block


def unblock_user(*, blocker_id: int, blocked_id: int) -> None:
    """Idempotent: unblocking someone who is not blocked changes nothing."""
    UserBlock.objects.filter(blocker_id=blocker_id, blocked_id=blocked_id).delete()
