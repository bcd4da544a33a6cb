from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils import timezone

PRIORITY_RANKS = {"low": 0, "normal": 1, "high": 2, "urgent": 3}


class InAppNotification(models.Model):
    """One notification for one recipient. Written only by `notifications.services`."""

    PRIORITIES = [(name, name.capitalize()) for name in PRIORITY_RANKS]

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="in_app_notifications")
    # Not a choices field: the allowed types are a setting (NOTIFICATION_TYPES), checked by the services.
    notification_type = models.CharField(max_length=32)
    title = models.CharField(max_length=255)
    message = models.TextField(blank=True, default="")
    link = models.CharField(max_length=500, null=True, blank=True)
    icon = models.CharField(max_length=64, null=True, blank=True)
    color = models.CharField(max_length=32, null=True, blank=True)
    priority = models.CharField(max_length=8, choices=PRIORITIES, default="normal")
    # Orders by meaning (urgent > high > normal > low) rather than alphabetically, and can be indexed.
    priority_rank = models.GeneratedField(
        expression=Case(*(When(priority=name, then=Value(rank)) for name, rank in PRIORITY_RANKS.items()),
                        default=Value(PRIORITY_RANKS["normal"])),
        output_field=models.SmallIntegerField(),
        db_persist=True,
    )
    related_object_type = models.CharField(max_length=100, null=True, blank=True)
    related_object_id = models.PositiveBigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    is_read = models.BooleanField(default=False)
    read_at = models.DateTimeField(null=True, blank=True)
    is_dismissed = models.BooleanField(default=False)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    # The notification's identity for idempotency: a retried task finds its rows by it.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # When it first reached a live notification socket of its recipient (the acknowledgement report).
    delivered_at = models.DateTimeField(null=True, blank=True)
    # Notifications with the same key coalesce into the recipient's open one: it counts them.
    coalesce_key = models.CharField(max_length=200, null=True, blank=True)
    # Defaults in the database too: the services insert rows with SQL of their own.
    count = models.PositiveIntegerField(default=1, db_default=1)
    # Closed for every recipient once the ERP object it is about was dealt with (`resolve`).
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolve_reason = models.CharField(max_length=200, blank=True, default="", db_default="")
    # Past this moment it leaves lists and counts.
    expires_at = models.DateTimeField(null=True, blank=True)
    # Must be acknowledged, not just read: reminded every NOTIFY_REMIND_SECONDS until it is, and
    # after `escalate_after` seconds the `escalate_to` users are told.
    requires_ack = models.BooleanField(default=False, db_default=False)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalate_to = ArrayField(models.BigIntegerField(), default=list, blank=True)
    escalate_after = models.PositiveIntegerField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "in_app_notification"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="in_app_notification_unique_dedupe"),
            # At most one open notification per recipient and coalesce key: what concurrent
            # notifies upsert into (notifications.services.COALESCING_UPSERT names the same predicate).
            models.UniqueConstraint(fields=["recipient", "coalesce_key"], name="in_app_notification_coalesce",
                                    condition=Q(coalesce_key__isnull=False, is_read=False, is_dismissed=False,
                                                resolved_at__isnull=True)),
        ]
        indexes = [
            models.Index(fields=["recipient", "is_read", "-created_at"], name="in_app_notification_inbox"),
            models.Index(fields=["recipient"], name="in_app_notification_unread",
                         condition=Q(is_read=False, is_dismissed=False)),
            models.Index(fields=["recipient", "related_object_type", "related_object_id"],
                         name="in_app_notification_object", condition=Q(related_object_id__isnull=False)),
            # Resolving an object finds its open notifications for every recipient at once.
            models.Index(fields=["related_object_type", "related_object_id"], name="in_app_notification_open",
                         condition=Q(related_object_id__isnull=False, resolved_at__isnull=True)),
            # Beat's reminders and escalations look at unacknowledged ones only.
            models.Index(fields=["created_at"], name="in_app_notification_ack_due",
                         condition=Q(requires_ack=True, acknowledged_at__isnull=True, resolved_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"Notification {self.pk} to {self.recipient_id}: {self.title[:40]}"


class NotificationOutbox(models.Model):
    """The notifications of one `notify()` call for up to 10,000 recipients, not yet stored.

    Written in the caller's transaction, so it exists exactly when the caller committed; the
    worker stores its notifications and deletes it in one transaction. The on-commit enqueue is
    only the fast path: a row still here at `dispatch_after` (the broker was down, the task was
    lost) is enqueued again by the outbox sweep.
    """

    recipient_ids = models.JSONField()
    # `notifications.services.NotificationContent`, already validated.
    content = models.JSONField()
    dedupe_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    dispatch_after = models.DateTimeField()
    # Enqueues by the sweep; each one waits twice as long as the one before (up to 16 times).
    redispatches = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "notification_outbox"
        verbose_name = "notification outbox row"
        verbose_name_plural = "notification outbox"
        indexes = [models.Index(fields=["dispatch_after"], name="notification_outbox_due")]

    def __str__(self) -> str:
        return f"Outbox {self.pk}: {len(self.recipient_ids)} recipients, key {self.dedupe_key}"


class NotificationPreference(models.Model):
    """A user's choices about being told of what they missed, and the digest's bookkeeping."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
                                related_name="notification_preference")
    email_digest = models.BooleanField(default=True, help_text="Send missed-message emails.")
    last_digest_at = models.DateTimeField(null=True, blank=True)
    # Everything older than this was already looked at for a digest, sent or not.
    digested_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "notification_preference"

    def __str__(self) -> str:
        return f"Preferences of {self.user_id}"
