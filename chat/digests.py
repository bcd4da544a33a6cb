"""Missed-message email (docs/notifications.md): one plain-text digest per user per interval, of chat
messages and high or urgent notifications that stayed unread, through Django's email backend.

It lives with chat because it reads both chat and the notification inbox (chat already builds on
notifications; the other way round would be a cycle). Beat finds the users due a digest
(`users_due_a_digest`); a task per user sends it (`send_digest`), with retries.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.utils import timezone

from chat import selectors
from chat.models import ChatMessage
from core.users import display_name
from notifications import selectors as notification_selectors
from notifications.models import InAppNotification, NotificationPreference

# What one digest lists at most of each kind (the rest is counted).
DIGEST_ITEMS = 20
PREVIEW_LENGTH = 200
# Users found per beat run; the next run goes on.
DUE_BATCH = 500


def _cutoff(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.NOTIFY_EMAIL_AFTER_SECONDS)


def users_due_a_digest(*, limit: int = DUE_BATCH) -> list[int]:
    """Users with an email address and digests on, past their interval, who have something unread
    for long enough that no earlier digest looked at."""
    now = timezone.now()
    params: dict[str, Any] = {
        "cutoff": _cutoff(now), "interval_ago": now - timedelta(seconds=settings.NOTIFY_EMAIL_MIN_INTERVAL_SECONDS),
        "now": now, "priorities": list(notification_selectors.DIGEST_PRIORITIES), "limit": limit,
    }
    users = get_user_model()._meta
    eligible = (f"JOIN {users.db_table} u ON u.id = {{who}} AND u.is_active AND u.email <> ''"
                f" LEFT JOIN {NotificationPreference._meta.db_table} p ON p.user_id = {{who}}"
                " WHERE COALESCE(p.email_digest, TRUE)"
                " AND (p.last_digest_at IS NULL OR p.last_digest_at <= %(interval_ago)s)"
                " AND {when} <= %(cutoff)s AND {when} > COALESCE(p.digested_until, '-infinity')")
    messages = eligible.format(who="m.receiver_id", when="m.timestamp")
    notifications = eligible.format(who="n.recipient_id", when="n.created_at")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT m.receiver_id FROM {ChatMessage._meta.db_table} m {messages}"
            " AND NOT m.is_read AND m.deleted_at IS NULL"
            f" UNION SELECT n.recipient_id FROM {InAppNotification._meta.db_table} n {notifications}"
            " AND NOT n.is_read AND NOT n.is_dismissed AND n.resolved_at IS NULL"
            " AND (n.expires_at IS NULL OR n.expires_at > %(now)s) AND n.priority = ANY(%(priorities)s)"
            " ORDER BY 1 LIMIT %(limit)s",
            params,
        )
        return [row[0] for row in cursor.fetchall()]


def send_digest(*, user_id: int) -> bool:
    """Emails the user what they missed since the last digest, if anything, at most once per
    NOTIFY_EMAIL_MIN_INTERVAL_SECONDS. Idempotent: the user's preference row is locked, and what
    was looked at is recorded in the transaction that sends; an SMTP failure rolls it back for the
    task's retry. Returns whether an email went out."""
    now = timezone.now()
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return False
    with transaction.atomic():
        preference, _ = NotificationPreference.objects.select_for_update().get_or_create(user_id=user_id)
        interval_ago = now - timedelta(seconds=settings.NOTIFY_EMAIL_MIN_INTERVAL_SECONDS)
        if not preference.email_digest or (preference.last_digest_at and preference.last_digest_at > interval_ago):
            return False
        since, until = preference.digested_until, _cutoff(now)
        messages = selectors.missed_messages(user_id, newer_than=since, older_than=until, limit=DIGEST_ITEMS)
        notifications = notification_selectors.missed_notifications(user_id, newer_than=since, older_than=until,
                                                                    limit=DIGEST_ITEMS)
        preference.digested_until = until
        sent = bool(messages or notifications)
        if sent:
            _digest_email(user, messages, notifications).send()
            preference.last_digest_at = now
        preference.save()
    return sent


def _digest_email(user, messages: list[ChatMessage], notifications: list[InAppNotification]) -> EmailMessage:
    """Plain text only: message text goes out as written, never as markup."""
    lines = [f"Hello {display_name(user)},", ""]
    if messages:
        lines += ["Unread messages:", ""]
        lines += [f"- {display_name(message.sender)} ({message.timestamp:%Y-%m-%d %H:%M} UTC): {_preview(message)}"
                  for message in messages]
        lines.append("")
    if notifications:
        lines += ["Notifications waiting for you:", ""]
        lines += [f"- [{notification.priority}] {_one_line(notification.title)}: {_one_line(notification.message)}"
                  for notification in notifications]
        lines.append("")
    lines.append("You get this email because these stayed unread. You can turn these emails off in your "
                 "notification preferences.")
    subject = f"You have {len(messages)} unread message(s) and {len(notifications)} notification(s)"
    return EmailMessage(subject=subject, body="\n".join(lines), to=[user.email])


def _preview(message: ChatMessage) -> str:
    return _one_line(message.message) if message.message else "(an attachment)"


def _one_line(text: str) -> str:
    """One line of at most PREVIEW_LENGTH characters: no line breaks or control characters from the text."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())[:PREVIEW_LENGTH]
