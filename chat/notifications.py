"""Chat's use of the notification inbox: a receiver with no live chat socket (a notification
socket alone does not show messages) gets one collapsed `message` notification per conversation,
counting each message; reading the conversation reads it."""
from __future__ import annotations

from collections.abc import Sequence

from chat.models import ChatMessage
from core.users import display_name
from notifications.models import InAppNotification
from notifications.services import NotificationContent, upsert_collapsed
from presence.selectors import with_chat_socket_among

CHAT_CONVERSATION = "chat.conversation"
CHAT_PREVIEW_LENGTH = 200


def notify_chat_messages(*, messages: Sequence[ChatMessage]) -> list[InAppNotification]:
    """Runs inside the chat service's transaction."""
    receiver_ids = {message.receiver_id for message in messages}
    unreachable = receiver_ids - with_chat_socket_among(receiver_ids)
    return [_notify_chat_message(message) for message in messages if message.receiver_id in unreachable]


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
