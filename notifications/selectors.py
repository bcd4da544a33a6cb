"""Reads and payload shaping for notifications. Every notification leaves the server in
`notification_payload`'s shape (docs/notifications.md), on the socket and in REST alike."""
from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.timesince import timesince

from core.timestamps import iso_z
from notifications.models import InAppNotification, NotificationPreference

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
        "count": notification.count,
        "resolved_at": iso_z(notification.resolved_at),
        "expires_at": iso_z(notification.expires_at),
        "requires_ack": notification.requires_ack,
        "acknowledged_at": iso_z(notification.acknowledged_at),
    }


def inbox(user_id: int, *, include_resolved: bool = False) -> QuerySet[InAppNotification]:
    """What the user sees: their notifications that they have not dismissed and that have neither
    expired nor (unless asked for) been resolved, newest first. Expiry needs no sweep to take effect."""
    shown = InAppNotification.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()), recipient_id=user_id, is_dismissed=False)
    if not include_resolved:
        shown = shown.filter(resolved_at__isnull=True)
    return shown.order_by("-created_at", "-id")


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


def unread_counts_of(user_ids: list[int]) -> dict[int, int]:
    """`unread_count` for many users in one query (a resolve's broadcasts)."""
    counted = (InAppNotification.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()), recipient_id__in=user_ids, is_read=False,
        is_dismissed=False, resolved_at__isnull=True)
        .order_by().values("recipient_id").annotate(unread=Count("id")).values_list("recipient_id", "unread"))
    return dict.fromkeys(user_ids, 0) | dict(counted)


def acknowledgement_report(*, related_object_type: str, related_object_id: int) -> list[dict]:
    """Every recipient of the notifications about one object: when each was stored, reached a
    live socket, was read, acknowledged, reminded, escalated and resolved (docs/notifications.md)."""
    rows = (InAppNotification.objects.filter(related_object_type=related_object_type, related_object_id=related_object_id)
            .exclude(notification_type="escalation").select_related("recipient").order_by("recipient_id", "id"))
    return [
        {
            "notification_id": row.pk, "recipient_id": row.recipient_id,
            "recipient_name": row.recipient.get_full_name() or row.recipient.get_username(),
            "requires_ack": row.requires_ack, "created_at": iso_z(row.created_at),
            "delivered_at": iso_z(row.delivered_at), "read_at": iso_z(row.read_at),
            "acknowledged_at": iso_z(row.acknowledged_at), "reminded_at": iso_z(row.reminded_at),
            "escalated_at": iso_z(row.escalated_at), "resolved_at": iso_z(row.resolved_at),
        }
        for row in rows
    ]


DIGEST_PRIORITIES = ("high", "urgent")


def missed_notifications(user_id: int, *, newer_than: datetime | None, older_than: datetime,
                         limit: int) -> list[InAppNotification]:
    """Unread high and urgent notifications the user has had for a while (the email digest)."""
    missed = unread(user_id).filter(priority__in=DIGEST_PRIORITIES, created_at__lte=older_than)
    if newer_than is not None:
        missed = missed.filter(created_at__gt=newer_than)
    return list(missed[:limit])


def preferences_payload(user_id: int) -> dict:
    preference = NotificationPreference.objects.filter(user_id=user_id).first()
    return {"email_digest": preference.email_digest if preference else True,
            "last_digest_at": iso_z(preference.last_digest_at) if preference else None}
