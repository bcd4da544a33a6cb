from __future__ import annotations

from django.conf import settings
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

    class Meta:
        db_table = "in_app_notification"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="in_app_notification_unique_dedupe"),
        ]
        indexes = [
            models.Index(fields=["recipient", "is_read", "-created_at"], name="in_app_notification_inbox"),
            models.Index(fields=["recipient"], name="in_app_notification_unread",
                         condition=Q(is_read=False, is_dismissed=False)),
            models.Index(fields=["recipient", "related_object_type", "related_object_id"],
                         name="in_app_notification_object", condition=Q(related_object_id__isnull=False)),
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
