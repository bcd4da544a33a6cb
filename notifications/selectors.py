"""Reads and payload shaping for notifications. Every notification leaves the server in
`notification_payload`'s shape (docs/notifications.md), on the socket and in REST alike."""
from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.timesince import timesince

from core.timestamps import iso_z
from notifications.models import InAppNotification

UNREAD_LIST_LIMIT = 100


def time_ago(created_at: datetime, now: datetime | None = None) -> str:
    """'just now', '5 minutes ago', '2 days ago': the largest unit only, as a bell shows it."""
    now = now or timezone.now()
    if (now - created_at).total_seconds() < 60:
        return "just now"
    return f"{timesince(created_at, now, depth=1)} ago"


def notification_payload(notification: InAppNotification, now: datetime | None = None) -> dict:
    return {
        "id": notification.pk,
        "notification_type": notification.notification_type,
        "title": notification.title,
        "message": notification.message,
        "link": notification.link,
        "icon": notification.icon,
        "color": notification.color,
        "priority": notification.priority,
        "is_read": notification.is_read,
        "created_at": iso_z(notification.created_at),
        "time_ago": time_ago(notification.created_at, now),
        "related_object_type": notification.related_object_type,
        "related_object_id": notification.related_object_id,
        "data": notification.data,
    }


def inbox(user_id: int) -> QuerySet[InAppNotification]:
    """What the user sees: their notifications that they have not dismissed, newest first."""
    return InAppNotification.objects.filter(recipient_id=user_id, is_dismissed=False).order_by("-created_at", "-id")


def unread(user_id: int) -> QuerySet[InAppNotification]:
    return inbox(user_id).filter(is_read=False)


def unread_count(user_id: int) -> int:
    return unread(user_id).count()


def unread_summary(user_id: int) -> dict:
    """`{"count", "notifications"}`: the count is exact, the list the newest UNREAD_LIST_LIMIT."""
    now = timezone.now()
    notifications = [notification_payload(n, now) for n in unread(user_id)[:UNREAD_LIST_LIMIT]]
    return {"count": unread_count(user_id), "notifications": notifications}


def owned(*, user_id: int, notification_id: int) -> InAppNotification | None:
    return InAppNotification.objects.filter(pk=notification_id, recipient_id=user_id).first()
