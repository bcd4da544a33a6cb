"""Notification tasks: the task API other ERP modules call by name, and the inbox changes that
sockets and REST enqueue."""
from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from core.errors import ClientError
from core.timestamps import iso_z
from notifications import services
from notifications import tasks as names
from realtime import replies
from workers.tasks.base import ReliableTask

logger = logging.getLogger(__name__)


@shared_task(base=ReliableTask, bind=True, name=names.SEND_NOTIFICATION)
def send_notification(
    self,
    *,
    recipient_ids: Any = None,
    notification_type: Any = None,
    title: Any = None,
    message: Any = None,
    priority: Any = "normal",
    link: Any = None,
    icon: Any = None,
    color: Any = None,
    related_object_type: Any = None,
    related_object_id: Any = None,
    data: Any = None,
    dedupe_key: Any = None,
    coalesce_key: Any = None,
    expires_at: Any = None,
    requires_ack: Any = False,
    escalate_to: Any = None,
    escalate_after: Any = None,
    **unexpected: Any,
) -> dict:
    """Returns `{"created": N}`, or `{"error", "code"}` for bad input (never retried).

    Callers in other processes know only the name and the broker, so everything is validated
    here. Without a `dedupe_key` the task id is the key: a retry or redelivery creates nothing twice.
    """
    try:
        if unexpected:
            raise ClientError(f"Unexpected arguments: {', '.join(sorted(unexpected))[:200]}")
        content = services.validated_content(
            notification_type=notification_type, title=title, message=message, priority=priority, link=link,
            icon=icon, color=color, related_object_type=related_object_type, related_object_id=related_object_id,
            data=data, coalesce_key=coalesce_key, expires_at=expires_at, requires_ack=requires_ack,
            escalate_to=escalate_to, escalate_after=escalate_after,
        )
        ids = services.validated_recipient_ids(recipient_ids)
        key = services.validated_dedupe_key(dedupe_key) or f"task:{self.request.id}"
    except ClientError as error:
        logger.warning("rejected %s task %s: %s", self.name, self.request.id, error.error)
        return error.as_dict()
    return {"created": services.create_notifications(recipient_ids=ids, content=content, dedupe_key=key)}


@shared_task(base=ReliableTask, name=names.DELIVER_OUTBOX)
def deliver_outbox(*, outbox_id: int) -> dict:
    """The notifications of one `notify()` call, from its outbox row."""
    return {"created": services.deliver_outbox(outbox_id=outbox_id)}


@shared_task(base=ReliableTask, name=names.SWEEP_OUTBOX)
def sweep_outbox() -> dict:
    """Run by beat: enqueues again the `notify()` calls whose delivery did not happen in time."""
    return {"enqueued": services.redispatch_due_outbox()}


@shared_task(base=ReliableTask, name=names.MARK_READ)
def mark_read(*, user_id: int, notification_id: int, reply_channel: str | None = None) -> dict:
    try:
        change = services.mark_read(user_id=user_id, notification_id=notification_id, reply_channel=reply_channel)
    except ClientError as error:
        return replies.refused(error, reply_channel=reply_channel)
    return {"notification_id": notification_id, "read_at": iso_z(change.at), "unread_count": change.unread_count}


@shared_task(base=ReliableTask, name=names.MARK_ALL_READ)
def mark_all_read(*, user_id: int, reply_channel: str | None = None) -> dict:
    change = services.mark_all_read(user_id=user_id, reply_channel=reply_channel)
    return {"count": change.count, "unread_count": change.unread_count}


@shared_task(base=ReliableTask, name=names.DISMISS)
def dismiss(*, user_id: int, notification_id: int, reply_channel: str | None = None) -> dict:
    try:
        change = services.dismiss(user_id=user_id, notification_id=notification_id)
    except ClientError as error:
        return replies.refused(error, reply_channel=reply_channel)
    return {"notification_id": notification_id, "unread_count": change.unread_count}


@shared_task(base=ReliableTask, name=names.DISMISS_ALL)
def dismiss_all(*, user_id: int) -> dict:
    change = services.dismiss_all(user_id=user_id)
    return {"count": change.count, "unread_count": change.unread_count}


@shared_task(base=ReliableTask, name=names.MARK_READ_BY_OBJECT)
def mark_read_by_object(*, user_id: int, related_object_type: str, related_object_id: int) -> dict:
    change = services.mark_read_by_object(
        user_id=user_id, related_object_type=related_object_type, related_object_id=related_object_id
    )
    return {"count": change.count, "unread_count": change.unread_count}


@shared_task(base=ReliableTask, bind=True, name=names.RESOLVE)
def resolve(self, *, related_object_type: Any = None, related_object_id: Any = None, reason: Any = "",
            **unexpected: Any) -> dict:
    """The task API's `resolve`: `{"resolved": N}`, or `{"error", "code"}` for bad input (never retried)."""
    try:
        if unexpected:
            raise ClientError(f"Unexpected arguments: {', '.join(sorted(unexpected))[:200]}")
        return {"resolved": services.resolve((related_object_type, related_object_id), reason=reason or "")}
    except ClientError as error:
        logger.warning("rejected %s task %s: %s", self.name, self.request.id, error.error)
        return error.as_dict()


@shared_task(base=ReliableTask, name=names.ACKNOWLEDGE)
def acknowledge(*, user_id: int, notification_id: int) -> dict:
    try:
        change = services.acknowledge(user_id=user_id, notification_id=notification_id)
    except ClientError as error:
        return error.as_dict()
    return {"notification_id": notification_id, "acknowledged_at": iso_z(change.at), "unread_count": change.unread_count}


@shared_task(base=ReliableTask, name=names.SEND_REMINDERS)
def send_reminders() -> dict:
    """Beat's: reminders of unacknowledged notifications, a bounded number per run."""
    return {"reminded": services.send_due_reminders()}


@shared_task(base=ReliableTask, name=names.ESCALATE)
def escalate() -> dict:
    """Beat's: escalations of notifications not acknowledged in time, a bounded number per run."""
    return {"escalated": services.escalate_due()}


@shared_task(base=ReliableTask, name=names.MARK_DELIVERED_MANY)
def mark_delivered_many(*, requests: list[dict]) -> int:
    """Notifications that reached live sockets (`[{"user_id", "notification_id", ...}, ...]`, with
    `realtime.delivery_log.write_record`'s fields), gathered by a server process."""
    return services.mark_delivered_many(
        socket_writes=[(request["user_id"], request["notification_id"], request) for request in requests])
