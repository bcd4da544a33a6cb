"""Notification writes. Keyword-only, atomic and idempotent; every frame they cause is pushed on commit.

`notify()` is the producer API for other modules (docs/notifications.md): it validates, writes an outbox row
in the caller's transaction and enqueues its delivery by task name after the commit, so this module
never imports a task. The rest are the writes the worker and the API run: the outbox delivery and
sweep, bulk creation with fan-out, the collapsed chat notification, and the read/dismiss changes,
each of which broadcasts `notification_update` with the new unread count.
"""
from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from celery import current_app as celery_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import connection, models, transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.errors import NotFound, ValidationFailed
from core.logging import Throttled
from core.timestamps import iso_z
from core.validation import (
    parse_bool,
    parse_id,
    parse_id_list,
    parse_int,
    parse_optional_id,
    parse_optional_timestamp,
    parse_text,
)
from notifications import selectors
from notifications import tasks as names
from notifications.models import PRIORITY_RANKS, InAppNotification, NotificationOutbox, NotificationPreference
from realtime import delivery_log, frames, stream
from realtime.fanout import Push, push_on_commit

logger = logging.getLogger(__name__)
# A broker outage is reported once a while, not once per notify() call.
enqueue_log = Throttled(logger, seconds=30)

# One outbox row, and so one task, carries at most this many recipients; a larger audience becomes several.
RECIPIENTS_PER_TASK = 10_000
# Outbox rows the sweep enqueues again per run, and how often a row's wait may double.
OUTBOX_SWEEP_BATCH = 500
OUTBOX_MAX_DOUBLINGS = 4
# Rows written per INSERT statement and transaction.
INSERT_BATCH = 5_000
MAX_DATA_BYTES = 16 * 1024
MAX_DEDUPE_KEY_LENGTH = 200
MAX_ESCALATE_AFTER_SECONDS = 30 * 24 * 3600
# Open notifications one resolve statement closes; a large audience takes several transactions.
RESOLVE_BATCH = 1000
# Namespace of the per-user advisory lock that orders inbox changes, so that unread counts are exact.
INBOX_LOCK_NAMESPACE = 0x6E6F7469
# A NUL escaped by json.dumps: `\u0000` after an even number of backslashes.
ENCODED_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


@dataclass(frozen=True)
class NotificationContent:
    """What every recipient of one notification gets; validated by `validated_content`."""

    notification_type: str
    title: str
    message: str
    priority: str = "normal"
    link: str | None = None
    icon: str | None = None
    color: str | None = None
    related_object_type: str | None = None
    related_object_id: int | None = None
    data: dict = field(default_factory=dict)
    coalesce_key: str | None = None
    # ISO-8601 (the outbox keeps content as JSON); see `expiry`.
    expires_at: str | None = None
    requires_ack: bool = False
    escalate_to: list[int] = field(default_factory=list)
    escalate_after: int | None = None

    @property
    def expiry(self) -> datetime | None:
        return parse_optional_timestamp(self.expires_at, "expires_at")

    def as_row(self, **fields: Any) -> InAppNotification:
        """An unsaved row with this content, for payload shaping."""
        return InAppNotification(**{**asdict(self), "expires_at": self.expiry}, **fields)


# Validation --------------------------------------------------------------------------------

def _max_length(field: str) -> int:
    length = getattr(InAppNotification._meta.get_field(field), "max_length", None)
    assert isinstance(length, int)
    return length


def _optional_text(value: Any, name: str, max_length: int) -> str | None:
    """Text of the task API's optional fields: empty is the same as absent."""
    return parse_text(value, name, max_length=max_length) or None


def _link(value: Any) -> str | None:
    """A path on this site, or an http(s) URL on a host of NOTIFICATION_LINK_HOSTS: a bell's link is
    followed on a click, so it must neither run script (`javascript:`) nor lead to another site.
    Browsers read `\\` as `/` and drop tabs and newlines, which would make `/\\host` or `/<tab>/host`
    the scheme-relative `//host`: links with either are refused outright."""
    link = _optional_text(value, "link", _max_length("link"))
    if link is None:
        return None
    if "\\" in link or not link.replace(" ", "").isprintable():
        raise ValidationFailed("link must not contain backslashes or control characters")
    if not (_is_site_path(link) or _is_allowed_url(link)):
        raise ValidationFailed("link must be a path starting with a single / or an http(s) URL on a host in "
                               "NOTIFICATION_LINK_HOSTS")
    return link


def _is_site_path(link: str) -> bool:
    return link.startswith("/") and not link.startswith("//")


def _is_allowed_url(link: str) -> bool:
    try:
        url = urlsplit(link)
        host = url.hostname
    except ValueError:
        return False
    return (url.scheme.lower() in ("http", "https") and url.username is None
            and host is not None and host in settings.NOTIFICATION_LINK_HOSTS)


def _data(value: Any) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationFailed("data must be a JSON object")
    try:
        encoded = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        raise ValidationFailed("data must be a JSON object") from None
    if ENCODED_NUL.search(encoded):
        raise ValidationFailed("data must not contain NUL characters")
    if len(encoded.encode()) > MAX_DATA_BYTES:
        raise ValidationFailed(f"data is larger than {MAX_DATA_BYTES} bytes")
    return json.loads(encoded)


def validated_content(
    *,
    notification_type: Any,
    title: Any,
    message: Any,
    priority: Any = "normal",
    link: Any = None,
    icon: Any = None,
    color: Any = None,
    related_object_type: Any = None,
    related_object_id: Any = None,
    data: Any = None,
    coalesce_key: Any = None,
    expires_at: Any = None,
    requires_ack: Any = False,
    escalate_to: Any = None,
    escalate_after: Any = None,
) -> NotificationContent:
    if notification_type not in settings.NOTIFICATION_TYPES:
        raise ValidationFailed(f"Unknown notification_type: {str(notification_type)[:64]}; "
                               f"expected one of {', '.join(settings.NOTIFICATION_TYPES)}")
    if not isinstance(priority, str) or priority not in PRIORITY_RANKS:
        raise ValidationFailed(f"priority must be one of {', '.join(PRIORITY_RANKS)}")
    title = parse_text(title, "title", max_length=_max_length("title"), required=True)
    if message is None:
        # Unlike the others, `message` must be given, even if empty.
        raise ValidationFailed("message is required and must be a string")
    message = parse_text(message, "message")
    object_type = _optional_text(related_object_type, "related_object_type", 100)
    object_id = parse_optional_id(related_object_id, "related_object_id")
    if (object_type is None) != (object_id is None):
        raise ValidationFailed("related_object_type and related_object_id go together")
    return NotificationContent(
        notification_type=notification_type, title=title, message=message, priority=priority, link=_link(link),
        icon=_optional_text(icon, "icon", 64), color=_optional_text(color, "color", 32),
        related_object_type=object_type, related_object_id=object_id, data=_data(data),
        coalesce_key=_optional_text(coalesce_key, "coalesce_key", MAX_DEDUPE_KEY_LENGTH),
        expires_at=_future(expires_at), **_acknowledgement(requires_ack, escalate_to, escalate_after),
    )


def _future(value: Any) -> str | None:
    """A moment in the future, as ISO-8601; a datetime is taken as it is."""
    moment = value if isinstance(value, datetime) else parse_optional_timestamp(value, "expires_at")
    if moment is None:
        return None
    if timezone.is_naive(moment):
        raise ValidationFailed("expires_at must name its time zone")
    if moment <= timezone.now():
        raise ValidationFailed("expires_at must be in the future")
    return iso_z(moment)


def _acknowledgement(requires_ack: Any, escalate_to: Any, escalate_after: Any) -> dict[str, Any]:
    """`escalate_to` and `escalate_after` go together, and only with `requires_ack`."""
    needs_ack = parse_bool(requires_ack, "requires_ack", default=False)
    people = [] if escalate_to is None else sorted(set(parse_id_list(escalate_to, "escalate_to", items="user ids")))
    after = None if escalate_after is None else parse_int(escalate_after, "escalate_after", minimum=1,
                                                          maximum=MAX_ESCALATE_AFTER_SECONDS)
    if bool(people) != (after is not None):
        raise ValidationFailed("escalate_to and escalate_after go together")
    if people and not needs_ack:
        raise ValidationFailed("escalate_to needs requires_ack")
    return {"requires_ack": needs_ack, "escalate_to": people, "escalate_after": after}


def validated_dedupe_key(value: Any) -> str | None:
    return _optional_text(value, "dedupe_key", MAX_DEDUPE_KEY_LENGTH)


def validated_recipient_ids(value: Any) -> list[int]:
    """A non-empty list of user ids (numbers or numeric strings), as many as wanted, de-duplicated and sorted."""
    recipient_ids = parse_id_list(value, "recipient_ids", max_items=None, items="user ids")
    if not recipient_ids:
        raise ValidationFailed("recipients must not be empty")
    return sorted(set(recipient_ids))


def resolve_recipients(recipients: Any) -> list[int]:
    """A user, a list of users or ids, a queryset of users, or the name of a Django auth group."""
    user_model = get_user_model()
    if isinstance(recipients, AbstractBaseUser):
        return [recipients.pk]
    if isinstance(recipients, str):
        group = Group.objects.filter(name=recipients).first()
        if group is None:
            raise ValidationFailed(f"Unknown group: {recipients[:150]}")
        return sorted(group.user_set.filter(is_active=True).values_list("pk", flat=True))
    if isinstance(recipients, models.QuerySet):
        if recipients.model is not user_model:
            raise ValidationFailed("recipients queryset must be of users")
        return sorted(recipients.values_list("pk", flat=True))
    if isinstance(recipients, (list, tuple, set)):
        return validated_recipient_ids([r.pk if isinstance(r, AbstractBaseUser) else r for r in recipients])
    raise ValidationFailed("recipients must be a user, a list of user ids, a queryset of users or a group name")


def _related_object(related_object: Any) -> tuple[str | None, Any]:
    """A model instance, or a `(type, id)` pair for objects that live outside this database."""
    if related_object is None:
        return None, None
    if isinstance(related_object, models.Model):
        return related_object._meta.label_lower, related_object.pk
    if isinstance(related_object, (tuple, list)) and len(related_object) == 2:
        return related_object[0], related_object[1]
    raise ValidationFailed("related_object must be a model instance or a (type, id) pair")


# The producer API ----------------------------------------------------------------------------

def notify(
    recipients: Any,
    *,
    notification_type: str,
    title: str,
    message: str,
    priority: str = "normal",
    link: str | None = None,
    icon: str | None = None,
    color: str | None = None,
    related_object: Any = None,
    data: dict | None = None,
    dedupe_key: str | None = None,
    coalesce_key: str | None = None,
    expires_at: datetime | str | None = None,
    requires_ack: bool = False,
    escalate_to: Any = None,
    escalate_after: int | None = None,
) -> int:
    """Validates now, and returns the number of recipients at once. A queryset or group that holds
    nobody sends nothing. Raises `ValidationFailed` for bad input, never for a broker fault.

    The notification is accepted with the caller's transaction: an outbox row written in it is
    delivered by a worker after the commit (at once if the broker takes the task, else by the
    outbox sweep), and nothing is sent if the caller rolls back. Without a `dedupe_key` one is
    generated, so that a task run twice never creates a row twice.
    """
    object_type, object_id = _related_object(related_object)
    content = validated_content(
        notification_type=notification_type, title=title, message=message, priority=priority, link=link,
        icon=icon, color=color, related_object_type=object_type, related_object_id=object_id, data=data,
        coalesce_key=coalesce_key, expires_at=expires_at, requires_ack=requires_ack,
        escalate_to=_user_ids(escalate_to),
        escalate_after=escalate_after,
    )
    key = validated_dedupe_key(dedupe_key) or f"notify:{uuid.uuid4().hex}"
    recipient_ids = resolve_recipients(recipients)
    dispatch_after = timezone.now() + timedelta(seconds=settings.NOTIFICATION_OUTBOX_RETRY_SECONDS)
    pending = NotificationOutbox.objects.bulk_create(
        NotificationOutbox(recipient_ids=batch, content=asdict(content), dedupe_key=key, dispatch_after=dispatch_after)
        for batch in _batches(recipient_ids, RECIPIENTS_PER_TASK)
    )
    for row in pending:
        transaction.on_commit(partial(_enqueue_delivery, row.pk))
    return len(recipient_ids)


def _user_ids(users: Any) -> Any:
    """`escalate_to` as notify() takes it (a user, an id, or a list of either) in the task API's form."""
    if users is None:
        return None
    if isinstance(users, AbstractBaseUser | int):
        users = [users]
    if not isinstance(users, list | tuple | set):
        return users  # refused by the task API's own check
    return [user.pk if isinstance(user, AbstractBaseUser) else user for user in users] or None


def _enqueue_delivery(outbox_id: int) -> None:
    """One attempt without Celery's publish retries, so a commit never waits out a broker outage;
    any failure is logged and left to the outbox sweep, never raised into the caller's commit
    (it would skip the caller's later on-commit hooks)."""
    try:
        celery_app.send_task(names.DELIVER_OUTBOX, kwargs={"outbox_id": outbox_id}, retry=False)
    except Exception as error:
        enqueue_log.warning("enqueue", "outbox row %s was not enqueued (%r); the outbox sweep enqueues it", outbox_id,
                            error)


def deliver_outbox(*, outbox_id: int) -> int:
    """Stores the notifications of one outbox row and deletes it, in one transaction; returns how
    many rows this call created. A row that is gone (delivered already) or locked (a worker is
    delivering it) is left alone, and a retry after a failure finds the row again."""
    with transaction.atomic():
        pending = NotificationOutbox.objects.select_for_update(skip_locked=True).filter(pk=outbox_id).first()
        if pending is None:
            return 0
        created = create_notifications(recipient_ids=pending.recipient_ids, content=NotificationContent(**pending.content),
                                       dedupe_key=pending.dedupe_key)
        pending.delete()
    return created


def redispatch_due_outbox() -> int:
    """Enqueues again, after commit, up to OUTBOX_SWEEP_BATCH outbox rows whose `dispatch_after`
    has passed, oldest first, and moves each one's next turn further out (doubling the wait).
    Safe to run twice at once: rows are claimed with SKIP LOCKED. Returns how many it enqueued."""
    with transaction.atomic():
        now = timezone.now()
        due = list(NotificationOutbox.objects.select_for_update(skip_locked=True)
                   .filter(dispatch_after__lte=now).order_by("dispatch_after", "pk")[:OUTBOX_SWEEP_BATCH])
        for row in due:
            row.redispatches += 1
            wait = settings.NOTIFICATION_OUTBOX_RETRY_SECONDS * 2 ** min(row.redispatches, OUTBOX_MAX_DOUBLINGS)
            row.dispatch_after = now + timedelta(seconds=wait)
            transaction.on_commit(partial(_enqueue_delivery, row.pk))
        NotificationOutbox.objects.bulk_update(due, ["redispatches", "dispatch_after"])
    return len(due)


# Creation and fan-out ------------------------------------------------------------------------

def _batches(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


_CONTENT_COLUMNS = (
    "notification_type", "title", "message", "link", "icon", "color", "priority",
    "related_object_type", "related_object_id", "coalesce_key", "expires_at", "requires_ack", "escalate_to",
    "escalate_after",
)
_CASTS = {"expires_at": "::timestamptz", "escalate_to": "::bigint[]"}


_INSERT_INTO = (
    f"INSERT INTO in_app_notification (recipient_id, {', '.join(_CONTENT_COLUMNS)},"
    " data, is_read, is_dismissed, dedupe_key, created_at)"
)
_CONTENT_PLACEHOLDERS = ", ".join(f"%s{_CASTS.get(column, '')}" for column in _CONTENT_COLUMNS)


def _content_params(content: NotificationContent) -> list:
    return [getattr(content, column) for column in _CONTENT_COLUMNS]


def _insert_for_recipients(*, recipient_ids: list[int], content: NotificationContent, dedupe_key: str,
                           created_at: datetime) -> list[tuple[int, int, int]]:
    """One statement for the whole batch; returns (id, recipient_id, count) of the rows it created
    or coalesced into.

    Unknown and inactive users are skipped; rows that exist already (a retry) are left alone.
    """
    users = get_user_model()._meta
    sql = (
        f"{_INSERT_INTO} SELECT u.{users.pk.column}, {_CONTENT_PLACEHOLDERS}, %s::jsonb, FALSE, FALSE, %s, %s"
        f" FROM {users.db_table} u WHERE u.{users.pk.column} = ANY(%s) AND u.is_active"
        f" {_NOT_YET_APPLIED if content.coalesce_key else ''} ORDER BY 1"
        f" {_COALESCING_UPSERT if content.coalesce_key else _KEEP_EXISTING} RETURNING id, recipient_id, count"
    )
    params = [*_content_params(content), json.dumps(content.data), dedupe_key, created_at, recipient_ids]
    if content.coalesce_key:
        params.append(dedupe_key)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


_KEEP_EXISTING = "ON CONFLICT (recipient_id, dedupe_key) DO NOTHING"
# A coalescing retry finds what it did by the dedupe key, which the row it coalesced into now carries.
_NOT_YET_APPLIED = ("AND NOT EXISTS (SELECT 1 FROM in_app_notification n WHERE n.recipient_id = u.id"
                    " AND n.dedupe_key = %s)")
# The recipient's open notification with the same coalesce key takes the new content and counts
# it; one that expired meanwhile starts counting again. Atomic under concurrent notifies: the
# partial unique index (`in_app_notification_coalesce`) makes the second wait for the first.
_COALESCING_UPSERT = (
    "ON CONFLICT (recipient_id, coalesce_key)"
    " WHERE coalesce_key IS NOT NULL AND NOT is_read AND NOT is_dismissed AND resolved_at IS NULL"
    " DO UPDATE SET " + ", ".join(f"{column} = EXCLUDED.{column}" for column in _CONTENT_COLUMNS) + ","
    " data = EXCLUDED.data, dedupe_key = EXCLUDED.dedupe_key, created_at = EXCLUDED.created_at,"
    # The newest occurrence starts its own delivery, reminders and escalation clock.
    " delivered_at = NULL, reminded_at = NULL, escalated_at = NULL,"
    " count = CASE WHEN in_app_notification.expires_at <= EXCLUDED.created_at THEN 1"
    " ELSE in_app_notification.count + 1 END"
)


def _push_created(rows: list[tuple[int, int, int]], content: NotificationContent, created_at: datetime) -> None:
    """One `notification` frame per recipient, pushed after commit in bounded batches; a
    coalesced one carries its new count under its existing id."""
    template = selectors.notification_payload(content.as_row(created_at=created_at))
    for batch in _batches(rows, settings.NOTIFICATION_PUSH_BATCH):
        push_on_commit(
            Push(frame=frames.notification({**template, "id": row_id, "count": count}), user_id=recipient_id,
                 family="notifications")
            for row_id, recipient_id, count in batch
        )


def create_notifications(*, recipient_ids: list[int], content: NotificationContent, dedupe_key: str) -> int:
    """Stores one row per active recipient, at most once per (recipient, dedupe_key), and pushes
    each new row to its recipient's sockets. Returns how many rows this call created. A
    notification that expired before it could be stored (a late outbox delivery) is not stored."""
    if content.expiry is not None and content.expiry <= timezone.now():
        return 0
    created = 0
    for batch in _batches(sorted(set(recipient_ids)), INSERT_BATCH):
        with transaction.atomic():
            created_at = timezone.now()
            rows = _insert_for_recipients(recipient_ids=batch, content=content, dedupe_key=dedupe_key, created_at=created_at)
            _push_created(rows, content, created_at)
        created += len(rows)
    return created


def upsert_collapsed(*, recipient_id: int, content: NotificationContent, collapse_key: str) -> InAppNotification:
    """One row per (recipient, collapse_key): a new event rewrites its text, counts itself in
    `data.count` (restarting at 1 once the row was read or dismissed) and re-opens it as unread."""
    data = json.dumps({**content.data, "count": 1})
    rewritten = ", ".join(f"{column} = EXCLUDED.{column}" for column in _CONTENT_COLUMNS)
    sql = (
        f"{_INSERT_INTO} VALUES (%s, {_CONTENT_PLACEHOLDERS}, %s::jsonb, FALSE, FALSE, %s, %s)"
        f" ON CONFLICT (recipient_id, dedupe_key) DO UPDATE SET {rewritten},"
        " data = EXCLUDED.data || jsonb_build_object('count', CASE"
        "   WHEN in_app_notification.is_read OR in_app_notification.is_dismissed THEN 1"
        "   ELSE COALESCE((in_app_notification.data ->> 'count')::int, 1) + 1 END),"
        " count = CASE WHEN in_app_notification.is_read OR in_app_notification.is_dismissed THEN 1"
        "   ELSE in_app_notification.count + 1 END,"
        " is_read = FALSE, read_at = NULL, is_dismissed = FALSE, dismissed_at = NULL, created_at = EXCLUDED.created_at,"
        " resolved_at = NULL, resolve_reason = ''"
        " RETURNING id"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [recipient_id, *_content_params(content), data, collapse_key, timezone.now()])
        notification = InAppNotification.objects.get(pk=cursor.fetchone()[0])
        frame = frames.notification(selectors.notification_payload(notification))
        push_on_commit([Push(frame=frame, user_id=recipient_id, family="notifications")])
    return notification


def redact_by_object(*, user_id: int, related_object_type: str, related_object_id: int, data_matches: dict,
                     message: str) -> int:
    """Replaces the text of the user's notifications about one object whose `data` holds
    `data_matches` (the preview of a message that was deleted), in the rows and in the stored
    `notification` events a resume would replay. Returns how many rows changed."""
    changed = list(InAppNotification.objects.filter(
        recipient_id=user_id, related_object_type=related_object_type, related_object_id=related_object_id,
        data__contains=data_matches,
    ).values_list("pk", flat=True))
    InAppNotification.objects.filter(pk__in=changed).update(message=message)
    for notification_id in changed:
        stream.amend(user_ids=[user_id], family="notifications", types=["notification"], match=["notification", "id"],
                     value=notification_id, changes={"message": message}, within="notification")
    return len(changed)


# Reading and dismissing ----------------------------------------------------------------------

@dataclass(frozen=True)
class InboxChange:
    """The outcome of a read or dismiss: rows changed, when, and the unread count after it."""

    count: int
    at: datetime | None
    unread_count: int
    notification_id: int | None = None


def _lock_inbox(user_id: int) -> None:
    """Serialises one user's inbox changes, so each broadcast carries the count after its change."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [INBOX_LOCK_NAMESPACE, user_id % 2**31])


def _publish(*, user_id: int, updates: Iterable[frames.Frame], reply: frames.Frame | None = None,
             reply_channel: str | None = None) -> None:
    pushes = [Push(frame=update, user_id=user_id, family="notifications") for update in updates]
    if reply is not None and reply_channel:
        pushes.insert(0, Push(frame=reply, channel=reply_channel))
    push_on_commit(pushes)


def _owned_or_404(*, user_id: int, notification_id: int) -> InAppNotification:
    notification = selectors.owned(user_id=user_id, notification_id=notification_id)
    if notification is None:
        raise NotFound("Notification not found")
    return notification


def mark_read(*, user_id: int, notification_id: int, reply_channel: str | None = None) -> InboxChange:
    """Idempotent: an already read notification keeps its first `read_at`."""
    with transaction.atomic():
        _lock_inbox(user_id)
        now = timezone.now()
        count = InAppNotification.objects.filter(pk=notification_id, recipient_id=user_id, is_read=False).update(
            is_read=True, read_at=now)
        read_at = now if count else _owned_or_404(user_id=user_id, notification_id=notification_id).read_at
        unread = selectors.unread_count(user_id)
        _publish(
            user_id=user_id,
            updates=[frames.notification_update_read(notification_id=notification_id, read_at=iso_z(read_at),
                                                     unread_count=unread)],
            reply=frames.notification_read(notification_id=notification_id, unread_count=unread),
            reply_channel=reply_channel,
        )
    return InboxChange(count=count, at=read_at, unread_count=unread, notification_id=notification_id)


def mark_all_read(*, user_id: int, reply_channel: str | None = None) -> InboxChange:
    with transaction.atomic():
        _lock_inbox(user_id)
        now = timezone.now()
        count = selectors.unread(user_id).update(is_read=True, read_at=now)
        unread = selectors.unread_count(user_id)
        _publish(
            user_id=user_id,
            updates=[frames.notification_update_all_read(count=count, read_at=iso_z(now), unread_count=unread)],
            reply=frames.all_notifications_read(count=count, unread_count=unread),
            reply_channel=reply_channel,
        )
    return InboxChange(count=count, at=now, unread_count=unread)


def dismiss(*, user_id: int, notification_id: int) -> InboxChange:
    """A soft delete; idempotent (dismissing twice keeps the first `dismissed_at`)."""
    with transaction.atomic():
        _lock_inbox(user_id)
        now = timezone.now()
        count = InAppNotification.objects.filter(pk=notification_id, recipient_id=user_id, is_dismissed=False).update(
            is_dismissed=True, dismissed_at=now)
        if not count:
            _owned_or_404(user_id=user_id, notification_id=notification_id)
        unread = selectors.unread_count(user_id)
        _publish(user_id=user_id,
                 updates=[frames.notification_update_dismissed(notification_id=notification_id, unread_count=unread)])
    return InboxChange(count=count, at=now, unread_count=unread, notification_id=notification_id)


def dismiss_all(*, user_id: int) -> InboxChange:
    with transaction.atomic():
        _lock_inbox(user_id)
        now = timezone.now()
        count = selectors.inbox(user_id).update(is_dismissed=True, dismissed_at=now)
        _publish(user_id=user_id, updates=[frames.notification_update_all_dismissed(count=count, unread_count=0)])
    return InboxChange(count=count, at=now, unread_count=0)


def mark_read_by_object(*, user_id: int, related_object_type: str, related_object_id: int) -> InboxChange:
    """Marks the user's notifications about one object read (auto-mark-read on viewing it).
    Each notification that changes is broadcast as `notification_read`."""
    with transaction.atomic():
        _lock_inbox(user_id)
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE in_app_notification SET is_read = TRUE, read_at = %s WHERE recipient_id = %s"
                " AND related_object_type = %s AND related_object_id = %s AND NOT is_read RETURNING id",
                [now, user_id, related_object_type, related_object_id],
            )
            changed = sorted(row[0] for row in cursor.fetchall())
        unread = selectors.unread_count(user_id)
        _publish(user_id=user_id, updates=[
            frames.notification_update_read(notification_id=notification_id, read_at=iso_z(now), unread_count=unread)
            for notification_id in changed
        ])
    return InboxChange(count=len(changed), at=now, unread_count=unread)


# Resolving, acknowledging, reminding ----------------------------------------------------------

def resolve(related_object: Any, *, reason: str = "") -> int:
    """Closes every open notification about `related_object` (a model instance or a `(type, id)`
    pair), for every recipient: "purchase order 123 was approved". Returns how many it closed."""
    object_type, object_id = _related_object(related_object)
    if object_type is None:
        raise ValidationFailed("related_object is required")
    return resolve_by_object(related_object_type=parse_text(object_type, "related_object_type", max_length=100,
                                                            required=True),
                             related_object_id=parse_id(object_id, "related_object_id"),
                             reason=parse_text(reason, "reason", max_length=_max_length("resolve_reason")))


def resolve_by_object(*, related_object_type: str, related_object_id: int, reason: str) -> int:
    """`resolve` in batches of RESOLVE_BATCH, each its own transaction, so a large audience never
    holds one long lock; a retry after a failure goes on with what is still open."""
    resolved = 0
    while True:
        looked_at, closed = _resolve_batch(related_object_type=related_object_type,
                                           related_object_id=related_object_id, reason=reason)
        resolved += closed
        if looked_at < RESOLVE_BATCH:
            return resolved


def _resolve_batch(*, related_object_type: str, related_object_id: int, reason: str) -> tuple[int, int]:
    """Returns how many open rows it found and how many of them it closed (a concurrent resolve
    may have closed some first)."""
    with transaction.atomic():
        open_rows = list(InAppNotification.objects.filter(
            related_object_type=related_object_type, related_object_id=related_object_id, resolved_at__isnull=True,
        ).order_by("recipient_id", "id").values_list("id", "recipient_id")[:RESOLVE_BATCH])
        recipients = sorted({recipient_id for _, recipient_id in open_rows})
        _lock_inboxes(recipients)
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE in_app_notification SET resolved_at = %s, resolve_reason = %s"
                " WHERE id = ANY(%s) AND resolved_at IS NULL RETURNING id, recipient_id",
                [now, reason, [row_id for row_id, _ in open_rows]],
            )
            changed = cursor.fetchall()
        counts = selectors.unread_counts_of(recipients)
        push_on_commit(
            Push(frame=frames.notification_update_resolved(notification_id=row_id, reason=reason,
                                                           resolved_at=iso_z(now), unread_count=counts[recipient_id]),
                 user_id=recipient_id, family="notifications")
            for row_id, recipient_id in changed
        )
    return len(open_rows), len(changed)


def _lock_inboxes(user_ids: list[int]) -> None:
    """`_lock_inbox` for many users, in id order (as every other taker goes one user at a time)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, k) FROM unnest(%s::int[]) AS u(k)",
                       [INBOX_LOCK_NAMESPACE, sorted({user_id % 2**31 for user_id in user_ids})])


def acknowledge(*, user_id: int, notification_id: int) -> InboxChange:
    """Records that the recipient acknowledged a must-acknowledge notification (which reads it
    too); reminders and escalation stop. Idempotent: the first `acknowledged_at` stays."""
    with transaction.atomic():
        _lock_inbox(user_id)
        notification = _owned_or_404(user_id=user_id, notification_id=notification_id)
        if not notification.requires_ack:
            raise ValidationFailed("This notification does not ask to be acknowledged")
        now = timezone.now()
        changed = InAppNotification.objects.filter(pk=notification_id, acknowledged_at__isnull=True).update(
            acknowledged_at=now, is_read=True, read_at=Coalesce("read_at", Value(now)))
        acknowledged_at = now if changed else notification.acknowledged_at
        unread = selectors.unread_count(user_id)
        if changed:
            _publish(user_id=user_id, updates=[frames.notification_update_acknowledged(
                notification_id=notification_id, acknowledged_at=iso_z(now), unread_count=unread)])
    return InboxChange(count=changed, at=acknowledged_at, unread_count=unread, notification_id=notification_id)


# Due reminders and escalations claimed per beat run (the next run goes on).
ACK_BATCH = 500
# Dismissing does not silence a notification that must be acknowledged.
_UNACKNOWLEDGED = ("requires_ack AND acknowledged_at IS NULL AND resolved_at IS NULL"
                   " AND (expires_at IS NULL OR expires_at > %(now)s)")


def send_due_reminders() -> int:
    """Pushes again, marked as a reminder, each unacknowledged notification whose last push is
    NOTIFY_REMIND_SECONDS old. Claiming it (its new `reminded_at`) and recording the push commit
    together, so a retried or concurrent run never reminds twice for one interval."""
    now = timezone.now()
    with transaction.atomic():
        due = list(InAppNotification.objects.raw(
            f"UPDATE in_app_notification SET reminded_at = %(now)s WHERE id IN (SELECT id FROM in_app_notification"
            f" WHERE {_UNACKNOWLEDGED} AND COALESCE(reminded_at, created_at) <= %(due)s ORDER BY id LIMIT %(limit)s"
            " FOR UPDATE SKIP LOCKED) RETURNING *",
            {"now": now, "due": now - timedelta(seconds=settings.NOTIFY_REMIND_SECONDS), "limit": ACK_BATCH},
        ))
        push_on_commit(Push(frame=frames.notification(selectors.notification_payload(row, now), reminder=True),
                            user_id=row.recipient_id, family="notifications") for row in due)
    return len(due)


def escalate_due() -> int:
    """Tells the `escalate_to` users of each unacknowledged notification whose `escalate_after`
    has passed, once: the escalation mark and their notifications commit together, and their
    dedupe key names the original, so neither a retry nor a worker killed half-way escalates twice."""
    now = timezone.now()
    with transaction.atomic():
        due = list(InAppNotification.objects.raw(
            f"UPDATE in_app_notification SET escalated_at = %(now)s WHERE id IN (SELECT id FROM in_app_notification"
            f" WHERE {_UNACKNOWLEDGED} AND escalated_at IS NULL AND escalate_after IS NOT NULL"
            " AND created_at + escalate_after * INTERVAL '1 second' <= %(now)s ORDER BY id LIMIT %(limit)s"
            " FOR UPDATE SKIP LOCKED) RETURNING *",
            {"now": now, "limit": ACK_BATCH},
        ))
        for original in due:
            create_notifications(recipient_ids=original.escalate_to, content=_escalation(original),
                                 dedupe_key=f"escalation:{original.pk}")
    return len(due)


def _escalation(original: InAppNotification) -> NotificationContent:
    recipient = get_user_model().objects.get(pk=original.recipient_id)
    name = recipient.get_full_name() or recipient.get_username()
    return NotificationContent(
        notification_type="escalation", title=f"Not acknowledged: {original.title}"[:_max_length("title")],
        message=f"{name} has not acknowledged this since {iso_z(original.created_at)}.", priority="high",
        link=original.link, related_object_type=original.related_object_type,
        related_object_id=original.related_object_id,
        data={"escalated_notification_id": original.pk, "recipient_id": original.recipient_id},
    )


def mark_delivered_many(*, socket_writes: list[tuple[int, int, dict[str, Any]]]) -> int:
    """(user_id, notification_id, `realtime.delivery_log.write_record`) per write to a live socket:
    the first delivery is kept on the row, every write in the delivery log. Idempotent but for the log."""
    if not socket_writes:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE in_app_notification AS n SET delivered_at = %s FROM unnest(%s::bigint[], %s::bigint[]) AS d(user_id, id)"
            " WHERE n.id = d.id AND n.recipient_id = d.user_id AND n.delivered_at IS NULL",
            [timezone.now(), [user_id for user_id, _, _ in socket_writes], [row_id for _, row_id, _ in socket_writes]],
        )
        delivery_log.record(kind="notification", writes=socket_writes)
        return cursor.rowcount


def set_preferences(*, user_id: int, email_digest: bool) -> NotificationPreference:
    """The user's choice about missed-message emails. Idempotent."""
    preference, _ = NotificationPreference.objects.update_or_create(user_id=user_id,
                                                                    defaults={"email_digest": email_digest})
    return preference
