"""Chat tasks: the message pipeline's persistence, receipts and replay, message changes, the upload clean-up and the missed-message emails."""
from __future__ import annotations

import smtplib
from collections.abc import Callable
from datetime import timedelta
from functools import partial

from celery import current_app, shared_task
from django.conf import settings
from django.utils import timezone

from chat import digests, selectors, services
from chat import tasks as names
from chat.typing import expire_typing_sync
from core import tracing
from core.errors import ClientError
from core.timestamps import iso_z
from realtime import frames, replies
from realtime.fanout import Push, push_now
from workers.tasks.base import TRANSIENT_ERRORS, ReliableTask


class SendBatchTask(ReliableTask):
    def waiting_requests(self, kwargs: dict) -> list[dict]:
        """Each send of the batch waits for its own answer (`realtime.replies`)."""
        return list(kwargs.get("sends", []))


@shared_task(base=SendBatchTask, name=names.SEND_MESSAGES)
def send_messages(*, sends: list[dict]) -> list[dict]:
    """Sends (`services.NewMessage` as dicts): a server process's batch of socket sends
    (`realtime.replies.SendQueue`), or a REST send, a batch of one. One outcome per send,
    `{"message_id": id}` or `{"error", "code"}`: never the text, which would otherwise wait in the
    result backend for the REST view that reads it."""
    tracing.link_to_batch((send.get("trace") for send in sends), name="chat.send_messages batched")
    outcomes = send_messages_in_order([services.NewMessage(**{key: value for key, value in send.items() if key != "trace"})
                                       for send in sends])
    return [outcome.as_dict() if isinstance(outcome, ClientError) else {"message_id": outcome.pk}
            for outcome in outcomes]


def send_messages_in_order(sends: list[services.NewMessage]) -> list[services.SendOutcome]:
    """Stores the sends; each socket hears of each of its sends once (`realtime.replies`): the
    service confirms the stored ones on commit, and the refused ones are answered here."""
    outcomes = services.send_messages(sends=sends)
    push_now(
        replies.refusal(outcome, reply_channel=send.reply_channel, temp_id=send.temp_id,
                        idempotency_key=send.idempotency_key)
        for send, outcome in zip(sends, outcomes, strict=True)
        if isinstance(outcome, ClientError) and send.reply_channel
    )
    return outcomes


@shared_task(base=ReliableTask, name=names.MARK_DELIVERED_MANY)
def mark_delivered_many(*, requests: list[dict]) -> int:
    """Delivery receipts, `[{"receiver_id": ..., "message_id": ...}, ...]`: those one server process
    gathered from its sockets' writes (with `realtime.delivery_log.write_record`'s fields), or a
    socket's own `delivery_receipt` frame."""
    receipts: dict[int, list[int]] = {}
    for request in requests:
        receipts.setdefault(request["receiver_id"], []).append(request["message_id"])
    socket_writes = [(request["receiver_id"], request["message_id"], request) for request in requests]
    return len(services.mark_delivered_many(receipts=receipts, socket_writes=socket_writes))


@shared_task(base=ReliableTask, name=names.MARK_READ)
def mark_read(
    *,
    reader_id: int,
    message_ids: list[int] | None = None,
    conversation_id: int | None = None,
    sender_id: int | None = None,
    up_to_id: int | None = None,
    reply_channel: str | None = None,
) -> dict:
    try:
        result = services.mark_read(
            reader_id=reader_id, message_ids=message_ids, conversation_id=conversation_id,
            sender_id=sender_id, up_to_id=up_to_id, reply_channel=reply_channel,
        )
    except ClientError as error:
        return replies.refused(error, reply_channel=reply_channel)
    return {"count": result.count, "read_at": iso_z(result.read_at)}


def _answered(change: Callable[[], object], reply_channel: str | None) -> dict:
    """Runs a change a socket or a REST request asked for. A refusal is answered on the asking
    socket as an `error` frame and returned for a REST view; the change itself reaches both
    people through their streams."""
    try:
        change()
    except ClientError as error:
        return replies.refused(error, reply_channel=reply_channel)
    return {"ok": True}


@shared_task(base=ReliableTask, name=names.EDIT_MESSAGE)
def edit_message(*, editor_id: int, message_id: int, text: str, reply_channel: str | None = None) -> dict:
    return _answered(partial(services.edit_message, editor_id=editor_id, message_id=message_id, text=text),
                     reply_channel)


@shared_task(base=ReliableTask, name=names.DELETE_MESSAGE)
def delete_message(*, user_id: int, message_id: int, reply_channel: str | None = None) -> dict:
    return _answered(partial(services.delete_message, user_id=user_id, message_id=message_id), reply_channel)


@shared_task(base=ReliableTask, name=names.REACT)
def react(*, user_id: int, message_id: int, emoji: str, add: bool, reply_channel: str | None = None) -> dict:
    return _answered(partial(services.react, user_id=user_id, message_id=message_id, emoji=emoji, add=add),
                     reply_channel)


@shared_task(base=ReliableTask, name=names.DELIVER_PENDING_MANY)
def deliver_pending_many(*, requests: list[dict]) -> int:
    """Replays undelivered messages to new sockets (`[{"user_id": ..., "channel": ...}, ...]`);
    each socket acknowledges them as it forwards them."""
    replayed = 0
    for request in requests:
        messages = selectors.pending_messages(user_id=request["user_id"], limit=settings.CHAT_PENDING_REPLAY_LIMIT)
        push_now(Push(frame=frames.message(selectors.message_payload(message)), channel=request["channel"])
                 for message in messages)
        replayed += len(messages)
    return replayed


@shared_task(base=ReliableTask, name=names.RECORD_TYPING)
def record_typing(*, user_id: int, partner_id: int, is_typing: bool) -> None:
    services.record_typing(user_id=user_id, partner_id=partner_id, is_typing=is_typing)


@shared_task(base=ReliableTask, name=names.EXPIRE_TYPING)
def expire_typing(*, user_id: int, user_name: str, partner_id: int) -> None:
    """The server-side typing timeout for typists without a socket (the REST endpoint)."""
    expire_typing_sync(user_id=user_id, user_name=user_name, partner_id=partner_id)


# One run removes at most this many batches of this many uploads; the next run goes on.
UNATTACHED_UPLOAD_BATCH = 500
UNATTACHED_UPLOAD_BATCHES_PER_RUN = 20


@shared_task(base=ReliableTask, name=names.REMOVE_UNATTACHED_UPLOADS)
def remove_unattached_uploads() -> int:
    """Beat's: uploads that no message took within `CHAT_ATTACHMENT_UNATTACHED_TTL_SECONDS` go,
    rows and files, a bounded number per run."""
    return services.remove_unattached_attachments(
        created_before=timezone.now() - timedelta(seconds=settings.CHAT_ATTACHMENT_UNATTACHED_TTL_SECONDS),
        batch_size=UNATTACHED_UPLOAD_BATCH, max_batches=UNATTACHED_UPLOAD_BATCHES_PER_RUN,
    )


@shared_task(base=ReliableTask, name=names.REMOVE_DELETED_ATTACHMENTS)
def remove_deleted_attachments() -> int:
    """Beat's: the files of messages deleted more than CHAT_DELETED_ATTACHMENT_RETENTION_SECONDS
    ago go, a bounded number per run."""
    return services.remove_deleted_attachments(
        deleted_before=timezone.now() - timedelta(seconds=settings.CHAT_DELETED_ATTACHMENT_RETENTION_SECONDS),
        batch_size=services.DELETED_ATTACHMENT_BATCH, max_batches=UNATTACHED_UPLOAD_BATCHES_PER_RUN,
    )


@shared_task(base=ReliableTask, name=names.QUEUE_EMAIL_DIGESTS)
def queue_email_digests() -> int:
    """Beat's: a digest task for each user due one, a bounded number per run."""
    due = digests.users_due_a_digest()
    for user_id in due:
        current_app.send_task(names.SEND_EMAIL_DIGEST, kwargs={"user_id": user_id})
    return len(due)


class EmailTask(ReliableTask):
    # An SMTP server that refuses or is away is retried like the database.
    autoretry_for = (*TRANSIENT_ERRORS, smtplib.SMTPException, OSError)


@shared_task(base=EmailTask, name=names.SEND_EMAIL_DIGEST)
def send_email_digest(*, user_id: int) -> bool:
    return digests.send_digest(user_id=user_id)
