"""Chat's use of the notification inbox: a receiver with no live chat socket (a notification
socket alone does not show messages) gets one collapsed `message` notification per conversation,
counting each message; reading the conversation reads it. A conversation the receiver muted
creates none."""
from __future__ import annotations

from collections.abc import Sequence

from chat.models import ChatMessage
from chat.selectors import muted_among
from core.users import display_name
from notifications.models import InAppNotification
from notifications.services import NotificationContent, redact_by_object, upsert_collapsed
from presence.selectors import with_chat_socket_among

CHAT_CONVERSATION = "chat.conversation"
CHAT_PREVIEW_LENGTH = 200
DELETED_PREVIEW = "Message deleted"


def notify_chat_messages(*, messages: Sequence[ChatMessage]) -> list[InAppNotification]:
    """Runs inside the chat service's transaction."""
    receiver_ids = {message.receiver_id for message in messages}
    unreachable = receiver_ids - with_chat_socket_among(receiver_ids)
    muted = muted_among((message.receiver_id, message.conversation_id) for message in messages
                        if message.receiver_id in unreachable)
    return [_notify_chat_message(message) for message in messages
            if message.receiver_id in unreachable and (message.receiver_id, message.conversation_id) not in muted]


def redact_message(*, message: ChatMessage) -> int:
    """A deleted message's text leaves the notification that previews it (and its stored events)."""
    return redact_by_object(
        user_id=message.receiver_id, related_object_type=CHAT_CONVERSATION, related_object_id=message.conversation_id,
        data_matches={"message_id": message.pk}, message=DELETED_PREVIEW,
    )


def _notify_chat_message(message: ChatMessage) -> InAppNotification:
    sender_name = display_name(message.sender)
    content = NotificationContent(
        notification_type="message",
        title=f"New message from {sender_name}",
        message=message.message[:CHAT_PREVIEW_LENGTH] if message.message else "Sent an attachment",
        icon="message",
        related_object_type=CHAT_CONVERSATION,
        related_object_id=message.conversation_id,
        data={"conversation_id": message.conversation_id, "sender_id": message.sender_id,
              "sender_name": sender_name, "message_id": message.pk},
    )
    return upsert_collapsed(recipient_id=message.receiver_id, content=content,
                            collapse_key=f"{CHAT_CONVERSATION}:{message.conversation_id}")
