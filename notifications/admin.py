from django.contrib import admin

from notifications.models import InAppNotification, NotificationOutbox, NotificationPreference
from realtime.delivery_page import DELIVERED, DeliveryPageMixin, Step


@admin.register(InAppNotification)
class InAppNotificationAdmin(DeliveryPageMixin, admin.ModelAdmin):
    list_display = ("id", "recipient", "notification_type", "title", "priority", "count", "is_read", "is_dismissed",
                    "requires_ack", "acknowledged_at", "resolved_at", "created_at", "delivery_link")
    list_filter = ("notification_type", "priority", "is_read", "is_dismissed", "requires_ack",
                   ("resolved_at", admin.EmptyFieldListFilter))
    raw_id_fields = ("recipient",)
    search_fields = ("title", "message", "recipient__username", "dedupe_key")
    date_hierarchy = "created_at"
    readonly_fields = ("priority_rank", "read_at", "dismissed_at", "created_at")
    delivery_kind = "notification"
    delivery_frame = ("notifications", "notification", "notification__id")

    def delivery_recipient_id(self, notification: InAppNotification) -> int:
        return notification.recipient_id

    def delivery_timeline(self, notification: InAppNotification) -> list[Step]:
        steps = [Step("Stored", notification.created_at, f"for user {notification.recipient_id}"),
                 Step("Delivered", notification.delivered_at, DELIVERED),
                 Step("Read", notification.read_at)]
        if notification.requires_ack:
            steps += [Step("Acknowledged", notification.acknowledged_at),
                      Step("Reminded", notification.reminded_at), Step("Escalated", notification.escalated_at)]
        steps += [Step(what, at) for what, at in (("Dismissed", notification.dismissed_at),
                                                  ("Resolved", notification.resolved_at)) if at]
        if notification.expires_at:
            steps.append(Step("Expires", notification.expires_at))
        return steps


@admin.register(NotificationOutbox)
class NotificationOutboxAdmin(admin.ModelAdmin):
    """`notify()` calls not delivered yet: a row that stays (many redispatches) points at a broker or
    worker that is down; its failures are under *Workers › Failed tasks*."""

    list_display = ("id", "created_at", "dispatch_after", "redispatches", "dedupe_key")
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in NotificationOutbox._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    """Where staff turn a person's missed-message emails off (or back on)."""

    list_display = ("user", "email_digest", "last_digest_at", "digested_until")
    list_filter = ("email_digest",)
    raw_id_fields = ("user",)
    search_fields = ("user__username", "user__email")
