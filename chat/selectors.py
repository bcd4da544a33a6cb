"""Reads and payload shaping for chat. Every message leaves the server in `message_payload`'s shape."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone

from chat.models import (
    MESSAGE_SEARCH_CONFIG,
    MESSAGE_SEARCH_VECTOR,
    Attachment,
    ChatMessage,
    Conversation,
    ConversationMute,
    Reaction,
    UserBlock,
)
from core.timestamps import iso_z
from core.users import avatar_url, display_name, user_summary
from presence.selectors import visible_online_among
from realtime import frames

# What a deleted message shows instead of its content, on every read path.
DELETED_MESSAGE_FIELDS = {"message": "", "attachment": None, "attachment_type": None}
REPLY_EXCERPT_LENGTH = 200


def messages_with_people() -> QuerySet[ChatMessage]:
    """Messages with everything `message_payload` shows, in a fixed number of queries."""
    return ChatMessage.objects.select_related("sender", "receiver", "attachment", "reply_to").prefetch_related(
        Prefetch("reactions", queryset=Reaction.objects.order_by("created_at", "id")))


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


def message_payload(message: ChatMessage, *, reactions: list[Reaction] | None = None) -> dict:
    """The union of the WebSocket `message` frame and the REST message (docs/websocket-api.md,
    docs/rest-api.md). `reactions` saves a query where they are known (a new message has none)."""
    payload = {
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
        "reply_to": reply_excerpt(message.reply_to) if message.reply_to_id else None,
        "edited_at": iso_z(message.edited_at),
        "deleted_at": iso_z(message.deleted_at),
        "reactions": reactions_payload(message.reactions.all() if reactions is None else reactions),
    }
    if message.deleted_at is not None:
        payload.update(DELETED_MESSAGE_FIELDS)
    return payload


def reply_excerpt(original: ChatMessage | None) -> dict | None:
    """The message a reply quotes, as it reads now: its edits show, and once deleted only that it was."""
    if original is None:
        return None
    deleted = original.deleted_at is not None
    return {"id": original.pk, "sender_id": original.sender_id, "deleted": deleted,
            "message": "" if deleted else original.message[:REPLY_EXCERPT_LENGTH]}


def reactions_payload(reactions: Iterable[Reaction]) -> list[dict]:
    """`[{"emoji", "user_ids"}]`, each emoji in the order it was first used."""
    by_emoji: dict[str, list[int]] = {}
    for reaction in reactions:
        by_emoji.setdefault(reaction.emoji, []).append(reaction.user_id)
    return [{"emoji": emoji, "user_ids": user_ids} for emoji, user_ids in by_emoji.items()]


def messages_replied_to(message_ids: Iterable[int | None]) -> dict[int, ChatMessage]:
    ids = [message_id for message_id in message_ids if message_id is not None]
    return ChatMessage.objects.in_bulk(ids) if ids else {}


def blocked_pairs(pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """The (blocker_id, blocked_id) blocks between the people of these pairs, either way, in one query."""
    pairs = list(pairs)
    if not pairs:
        return set()
    people = {user_id for pair in pairs for user_id in pair}
    wanted = {pair for low, high in pairs for pair in ((low, high), (high, low))}
    found = UserBlock.objects.filter(blocker_id__in=people, blocked_id__in=people).values_list("blocker_id", "blocked_id")
    return {pair for pair in found if pair in wanted}


def is_blocked_either_way(user_a: int, user_b: int) -> bool:
    return bool(blocked_pairs([(user_a, user_b)]))


def blocked_either_way(user_id: int) -> set[int]:
    """Everyone the user blocked or who blocked the user."""
    pairs = UserBlock.objects.filter(Q(blocker_id=user_id) | Q(blocked_id=user_id)).values_list("blocker_id", "blocked_id")
    return {blocked if blocker == user_id else blocker for blocker, blocked in pairs}


def blocks_of(user_id: int) -> QuerySet[UserBlock]:
    return UserBlock.objects.filter(blocker_id=user_id).select_related("blocked")


def block_payload(block: UserBlock) -> dict:
    return {"user": other_user_payload(block.blocked, set()), "created_at": iso_z(block.created_at)}


def message_of_user(*, user_id: int, message_id: int) -> ChatMessage | None:
    """A message the user sent or received."""
    return messages_with_people().filter(Q(sender_id=user_id) | Q(receiver_id=user_id), pk=message_id).first()


def _mutes_in_force() -> QuerySet[ConversationMute]:
    return ConversationMute.objects.filter(Q(until__isnull=True) | Q(until__gt=timezone.now()))


def muted_until_of(user_id: int) -> dict[int, datetime | None]:
    """The user's mutes in force, by conversation id: the end, or None for until unmuted."""
    return dict(_mutes_in_force().filter(user_id=user_id).values_list("conversation_id", "until"))


def muted_among(pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """The (user_id, conversation_id) pairs whose user has the conversation muted now."""
    pairs = set(pairs)
    if not pairs:
        return set()
    mutes = _mutes_in_force().filter(
        user_id__in={user_id for user_id, _ in pairs}, conversation_id__in={conversation_id for _, conversation_id in pairs},
    ).values_list("user_id", "conversation_id")
    return {pair for pair in mutes if pair in pairs}


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
    """People who share a conversation and have not blocked each other (presence's contacts,
    PRESENCE_CONTACTS)."""
    return conversation_between(user_a, user_b) is not None and not is_blocked_either_way(user_a, user_b)


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
    return sorted({a if b == user_id else b for a, b in pairs} - blocked_either_way(user_id))


def history(*, conversation: Conversation, limit: int, before_id: int | None, offset: int) -> tuple[list[ChatMessage], bool]:
    """Newest first; `before_id` is the cursor. Returns the page and whether more is older."""
    messages = messages_with_people().filter(conversation=conversation).order_by("-id")
    if before_id is not None:
        messages = messages.filter(id__lt=before_id)
    page = list(messages[offset : offset + limit + 1])
    return page[:limit], len(page) > limit


def other_user_payload(user, online_ids: set[int]) -> dict:
    return {**user_summary(user), "is_online": user.pk in online_ids}


def visible_online_partners(viewer_id: int, partner_ids: list[int]) -> set[int]:
    """Which of these people the viewer may see online: presence's rules, and no block either way."""
    return visible_online_among(viewer_id, partner_ids) - blocked_either_way(viewer_id)


def conversation_list(user_id: int) -> list[dict]:
    conversations = list(conversations_of(user_id))
    others = [c.participant2 if c.participant1_id == user_id else c.participant1 for c in conversations]
    online_ids = visible_online_partners(user_id, [other.pk for other in others])
    muted = muted_until_of(user_id)
    return [
        {
            "conversation_id": conversation.pk,
            "other_user": other_user_payload(other, online_ids),
            "last_message": last_message_text(conversation),
            "last_message_at": iso_z(conversation.last_message_at),
            "last_message_by_me": bool(conversation.last_message and conversation.last_message.sender_id == user_id),
            "unread_count": unread_count_for(conversation, user_id),
            "updated_at": iso_z(conversation.updated_at),
            "muted": conversation.pk in muted,
            "muted_until": iso_z(muted.get(conversation.pk)),
        }
        for conversation, other in zip(conversations, others, strict=True)
    ]


def last_message_text(conversation: Conversation) -> str | None:
    """The newest message's text; a deleted one shows as empty, like the message itself."""
    last = conversation.last_message
    if last is None:
        return None
    return "" if last.deleted_at is not None else last.message


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
        return messages.filter(deleted_at__isnull=True, message__icontains=query)
    prefixes = " & ".join("'" + word.replace("\\", "\\\\").replace("'", "''") + "':*" for word in words)
    return messages.filter(deleted_at__isnull=True).annotate(search_vector=MESSAGE_SEARCH_VECTOR).filter(
        search_vector=SearchQuery(prefixes, search_type="raw", config=MESSAGE_SEARCH_CONFIG)
    )


def search_words(query: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT lexeme FROM unnest(to_tsvector(%s::regconfig, %s))", [MESSAGE_SEARCH_CONFIG, query])
        return [row[0] for row in cursor.fetchall()]


def attachments_visible_to(user_id: int) -> QuerySet[Attachment]:
    """An upload is visible to its uploader until it is attached, then to both people of its
    message, until the message is deleted."""
    return Attachment.objects.filter(
        Q(uploader_id=user_id, message__isnull=True)
        | Q(message__deleted_at__isnull=True) & (Q(message__sender_id=user_id) | Q(message__receiver_id=user_id))
    ).distinct()


def attachment_response(attachment: Attachment) -> FileResponse:
    """Always a download, never rendered inline, so an upload cannot run as a page (docs/rest-api.md)."""
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name,
                            content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def missed_messages(user_id: int, *, newer_than: datetime | None, older_than: datetime, limit: int) -> list[ChatMessage]:
    """Messages to the user still unread a while after they arrived (the email digest), oldest
    first, leaving out muted conversations and people blocked either way."""
    missed = (messages_with_people().filter(receiver_id=user_id, is_read=False, deleted_at__isnull=True,
                                            timestamp__lte=older_than)
              .exclude(conversation_id__in=list(muted_until_of(user_id)))
              .exclude(sender_id__in=list(blocked_either_way(user_id))))
    if newer_than is not None:
        missed = missed.filter(timestamp__gt=newer_than)
    return list(missed.order_by("id")[:limit])
