"""Chat tasks: the message pipeline's persistence, receipts and replay."""
from __future__ import annotations

from celery import shared_task

from chat import selectors, services
from chat.typing import expire_typing_sync
from core.errors import ClientError
from core.fanout import Push, push_now
from workers.tasks.base import ReliableTask


@shared_task(base=ReliableTask, name="chat.send_message")
def send_message(
    *,
    sender_id: int,
    receiver_id: int,
    text: str,
    idempotency_key: str,
    temp_id: str | None = None,
    attachment_id: int | None = None,
    reply_channel: str | None = None,
) -> dict:
    """Returns `{"message": payload}` or `{"error", "code"}`; a socket gets the matching frame."""
    try:
        message = services.send_message(
            sender_id=sender_id, receiver_id=receiver_id, text=text, idempotency_key=idempotency_key,
            temp_id=temp_id, attachment_id=attachment_id, reply_channel=reply_channel,
        )
    except ClientError as error:
        if reply_channel:
            push_now([Push(frame={"type": "error", **error.as_dict(), "temp_id": temp_id}, channel=reply_channel,
                           reply_to=idempotency_key)])
        return error.as_dict()
    return {"message": selectors.message_payload(message)}


@shared_task(base=ReliableTask, name="chat.mark_delivered")
def mark_delivered(*, receiver_id: int, message_ids: list[int]) -> int:
    return len(services.mark_delivered(receiver_id=receiver_id, message_ids=message_ids))


@shared_task(base=ReliableTask, name="chat.mark_delivered_many")
def mark_delivered_many(*, receipts: list[tuple[int, list[int]]]) -> int:
    """Receipts that one server process batched: `[[receiver_id, [message_id, ...]], ...]`."""
    return len(services.mark_delivered_many(receipts=dict(receipts)))


@shared_task(base=ReliableTask, name="chat.mark_read")
def mark_read(
    *,
    reader_id: int,
    message_ids: list[int] | None = None,
    conversation_id: int | None = None,
    sender_id: int | None = None,
    reply_channel: str | None = None,
) -> dict:
    try:
        result = services.mark_read(
            reader_id=reader_id, message_ids=message_ids, conversation_id=conversation_id,
            sender_id=sender_id, reply_channel=reply_channel,
        )
    except ClientError as error:
        if reply_channel:
            push_now([Push(frame={"type": "error", **error.as_dict()}, channel=reply_channel)])
        return error.as_dict()
    return {"count": result.count, "read_at": result.read_at.isoformat()}


@shared_task(base=ReliableTask, name="chat.deliver_pending")
def deliver_pending(*, user_id: int, channel: str) -> int:
    """Replays undelivered messages to one new socket; it acknowledges them as it forwards them."""
    from django.conf import settings

    messages = selectors.pending_messages(user_id=user_id, limit=settings.CHAT_PENDING_REPLAY_LIMIT)
    push_now(Push(frame=selectors.message_frame(message), channel=channel) for message in messages)
    return len(messages)


@shared_task(base=ReliableTask, name="chat.record_typing")
def record_typing(*, user_id: int, partner_id: int, is_typing: bool) -> None:
    services.record_typing(user_id=user_id, partner_id=partner_id, is_typing=is_typing)


@shared_task(base=ReliableTask, name="chat.expire_typing")
def expire_typing(*, user_id: int, user_name: str, partner_id: int) -> None:
    """The server-side typing timeout for typists without a socket (the REST endpoint)."""
    expire_typing_sync(user_id=user_id, user_name=user_name, partner_id=partner_id)
