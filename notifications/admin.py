from django.contrib import admin

from notifications.models import InAppNotification


@admin.register(InAppNotification)
class InAppNotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "recipient", "notification_type", "title", "priority", "is_read", "is_dismissed", "created_at")
    list_filter = ("notification_type", "priority", "is_read", "is_dismissed")
    raw_id_fields = ("recipient",)
    search_fields = ("title", "message", "recipient__username", "dedupe_key")
    date_hierarchy = "created_at"
    readonly_fields = ("priority_rank", "read_at", "dismissed_at", "created_at")
