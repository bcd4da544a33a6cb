"""Reads and payload shaping for chat. Every message leaves the server in `message_payload`'s shape."""
from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import FileResponse
from django.urls import reverse

from chat.models import MESSAGE_SEARCH_CONFIG, MESSAGE_SEARCH_VECTOR, Attachment, ChatMessage, Conversation
from core.timestamps import iso_z
from core.users import avatar_url, display_name, user_summary
from presence.selectors import visible_online_among
from realtime import frames


def messages_with_people() -> QuerySet[ChatMessage]:
    return ChatMessage.objects.select_related("sender", "receiver", "attachment")


def attachment_download_path(attachment_id: int) -> str:
    return reverse("chat-attachment-download", args=[attachment_id])


def attachment_url(message: ChatMessage) -> str | None:
    if message.attachment_id is None:
        return None
    return attachment_download_path(message.attachment_id)


def attachment_payload(attachment: Attachment) -> dict:
    """The answer to an upload (docs/rest-api.md `chats/attachments/`)."""
    return {
        "id": attachment.pk,
        "url": attachment_download_path(attachment.pk),
        "attachment_type": attachment.attachment_type,
        "size": attachment.size,
        "content_type": attachment.content_type,
        "name": attachment.name,
    }


def sent_message(*, sender_id: int, idempotency_key: str) -> ChatMessage | None:
    """The message that a send with this idempotency key stored, if it was stored."""
    return messages_with_people().filter(sender_id=sender_id, idempotency_key=idempotency_key).first()


def message_payload(message: ChatMessage) -> dict:
    """The union of the WebSocket `message` frame and the REST message (docs/websocket-api.md, docs/rest-api.md)."""
    return {
        "id": message.pk,
        "conversation_id": message.conversation_id,
        "sender": message.sender_id,
        "sender_id": message.sender_id,
        "sender_name": display_name(message.sender),
        "sender_avatar": avatar_url(message.sender),
        "receiver": message.receiver_id,
        "receiver_id": message.receiver_id,
        "receiver_name": display_name(message.receiver),
        "message": message.message,
        "attachment": attachment_url(message),
        "attachment_type": message.attachment.attachment_type if message.attachment else None,
        "is_read": message.is_read,
        "read_at": iso_z(message.read_at),
        "delivered_at": iso_z(message.delivered_at),
        "timestamp": iso_z(message.timestamp),
        "temp_id": message.temp_id,
    }


def pending_messages(*, user_id: int, limit: int) -> list[ChatMessage]:
    """Messages to the user not yet delivered to any of their devices, oldest first."""
    return list(messages_with_people().filter(receiver_id=user_id, delivered_at__isnull=True).order_by("id")[:limit])


def conversation_between(user_a: int, user_b: int) -> Conversation | None:
    low, high = sorted((user_a, user_b))
    return Conversation.objects.filter(participant1_id=low, participant2_id=high).first()


def history_partner(*, viewer_id: int, user_id: int) -> tuple[AbstractBaseUser, Conversation | None] | None:
    """The person whose history the viewer asks for, with their conversation (None before the first
    message). A deactivated colleague the viewer talked to stays readable: the conversation is still
    listed, and its messages still searched. Anyone else deactivated is not found."""
    other = get_user_model().objects.filter(pk=user_id).first()
    if other is None:
        return None
    conversation = conversation_between(viewer_id, other.pk)
    if not other.is_active and conversation is None:
        return None
    return other, conversation


def are_contacts(user_a: int, user_b: int) -> bool:
    """People who share a conversation (presence's contacts, PRESENCE_CONTACTS)."""
    return conversation_between(user_a, user_b) is not None


def conversations_of(user_id: int) -> QuerySet[Conversation]:
    return (
        Conversation.objects.filter(Q(participant1_id=user_id) | Q(participant2_id=user_id))
        .select_related("participant1", "participant2", "last_message")
        .order_by("-last_message_at", "-updated_at", "-id")
    )


def conversation_of_user(*, user_id: int, conversation_id: int) -> Conversation | None:
    return conversations_of(user_id).filter(pk=conversation_id).first()


def unread_count_for(conversation: Conversation, user_id: int) -> int:
    return getattr(conversation, conversation.unread_field_for(user_id))


def total_unread_of(user_ids: Iterable[int]) -> dict[int, int]:
    """Each user's unread messages over all their conversations, in one statement."""
    table = Conversation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT u.id, COALESCE((SELECT SUM(participant1_unread_count) FROM {table} WHERE participant1_id = u.id), 0)"
            f" + COALESCE((SELECT SUM(participant2_unread_count) FROM {table} WHERE participant2_id = u.id), 0)"
            " FROM unnest(%s::bigint[]) AS u(id)",
            [sorted(set(user_ids))],
        )
        return dict(cursor.fetchall())


def unread_count_frames(counted: Iterable[tuple[Conversation, int]]) -> list[dict]:
    """An `unread_count` frame per (conversation, user) pair."""
    counted = list(counted)
    totals = total_unread_of(user_id for _, user_id in counted)
    return [
        frames.chat_unread_count(total_unread=totals[user_id], conversation_id=conversation.pk,
                                 unread_count=unread_count_for(conversation, user_id))
        for conversation, user_id in counted
    ]


def contact_ids(user_id: int) -> list[int]:
    """Everyone who shares a conversation with the user."""
    pairs = Conversation.objects.filter(Q(participant1_id=user_id) | Q(participant2_id=user_id)).values_list(
        "participant1_id", "participant2_id"
    )
    return sorted({a if b == user_id else b for a, b in pairs})


def history(*, conversation: Conversation, limit: int, before_id: int | None, offset: int) -> tuple[list[ChatMessage], bool]:
    """Newest first; `before_id` is the cursor. Returns the page and whether more is older."""
    messages = messages_with_people().filter(conversation=conversation).order_by("-id")
    if before_id is not None:
        messages = messages.filter(id__lt=before_id)
    page = list(messages[offset : offset + limit + 1])
    return page[:limit], len(page) > limit


def other_user_payload(user, online_ids: set[int]) -> dict:
    return {**user_summary(user), "is_online": user.pk in online_ids}


def conversation_list(user_id: int) -> list[dict]:
    conversations = list(conversations_of(user_id))
    others = [c.participant2 if c.participant1_id == user_id else c.participant1 for c in conversations]
    online_ids = visible_online_among(user_id, [other.pk for other in others])
    return [
        {
            "conversation_id": conversation.pk,
            "other_user": other_user_payload(other, online_ids),
            "last_message": conversation.last_message.message if conversation.last_message else None,
            "last_message_at": iso_z(conversation.last_message_at),
            "last_message_by_me": bool(conversation.last_message and conversation.last_message.sender_id == user_id),
            "unread_count": unread_count_for(conversation, user_id),
            "updated_at": iso_z(conversation.updated_at),
        }
        for conversation, other in zip(conversations, others, strict=True)
    ]


def unread_summary(user_id: int) -> dict:
    rows = [
        {
            "conversation_id": conversation.pk,
            "unread_count": unread_count_for(conversation, user_id),
            "other_user_id": other.pk,
            "other_user_name": display_name(other),
        }
        for conversation in conversations_of(user_id)
        for other in [conversation.participant2 if conversation.participant1_id == user_id else conversation.participant1]
        if unread_count_for(conversation, user_id)
    ]
    return {"total_unread": sum(row["unread_count"] for row in rows), "conversations": rows}


def message_list(user_id: int) -> QuerySet[ChatMessage]:
    """Every message the user sent or received, for the filtered list endpoint."""
    return messages_with_people().filter(Q(sender_id=user_id) | Q(receiver_id=user_id)).order_by("-id")


def search_messages(messages: QuerySet[ChatMessage], query: str) -> QuerySet[ChatMessage]:
    """Full-text search where every word of the query must start a word of the message.

    PostgreSQL's own parser splits the query, exactly as it split the indexed text, so no character
    of the query is ever read as tsquery syntax. A query without words (emoji, punctuation) has
    nothing to look up in the index and matches as a substring instead.
    """
    words = search_words(query)
    if not words:
        return messages.filter(message__icontains=query)
    prefixes = " & ".join("'" + word.replace("\\", "\\\\").replace("'", "''") + "':*" for word in words)
    return messages.annotate(search_vector=MESSAGE_SEARCH_VECTOR).filter(
        search_vector=SearchQuery(prefixes, search_type="raw", config=MESSAGE_SEARCH_CONFIG)
    )


def search_words(query: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT lexeme FROM unnest(to_tsvector(%s::regconfig, %s))", [MESSAGE_SEARCH_CONFIG, query])
        return [row[0] for row in cursor.fetchall()]


def attachments_visible_to(user_id: int) -> QuerySet[Attachment]:
    """An upload is visible to its uploader and to both people of the message it is attached to."""
    return Attachment.objects.filter(
        Q(uploader_id=user_id) | Q(message__sender_id=user_id) | Q(message__receiver_id=user_id)
    ).distinct()


def attachment_response(attachment: Attachment) -> FileResponse:
    """Always a download, never rendered inline, so an upload cannot run as a page (docs/rest-api.md)."""
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name,
                            content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
