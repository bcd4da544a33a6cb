"""Request validation and the documented response shapes of the notification API (docs/notifications.md, docs/rest-api.md)."""
from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from core.api.fields import FlagField, IdField, TextField
from notifications.models import PRIORITY_RANKS


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    notification_type = serializers.ChoiceField(choices=settings.NOTIFICATION_TYPES)
    title = serializers.CharField()
    message = serializers.CharField(allow_blank=True)
    link = serializers.CharField(allow_null=True)
    icon = serializers.CharField(allow_null=True)
    color = serializers.CharField(allow_null=True)
    priority = serializers.ChoiceField(choices=list(PRIORITY_RANKS))
    is_read = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    time_ago = serializers.CharField()
    related_object_type = serializers.CharField(allow_null=True)
    related_object_id = serializers.IntegerField(allow_null=True)
    data = serializers.JSONField()  # type: ignore[assignment]  # the notification's field; this serializer only describes the schema
    count = serializers.IntegerField(help_text="How many notifications coalesced into this one (1 when none did).")
    resolved_at = serializers.DateTimeField(allow_null=True, help_text="Set once its ERP object was resolved.")
    expires_at = serializers.DateTimeField(allow_null=True, help_text="Past this it leaves lists and counts.")
    requires_ack = serializers.BooleanField(help_text="It must be acknowledged, not just read.")
    acknowledged_at = serializers.DateTimeField(allow_null=True)


class UnreadNotificationsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    notifications = NotificationSerializer(many=True)


class NotificationCountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class NotificationReadSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    notification_id = serializers.IntegerField()
    read_at = serializers.DateTimeField()


class NotificationDismissedSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    notification_id = serializers.IntegerField()


class NotificationsChangedSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    count = serializers.IntegerField()


class MarkReadByObjectSerializer(serializers.Serializer):
    # The task API's rules for the same two fields (`notifications.services.validated_content`).
    related_object_type = TextField(max_length=100)
    related_object_id = IdField()


class NotificationQueuedSerializer(serializers.Serializer):
    status = serializers.CharField()


class NotificationAcknowledgedSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    notification_id = serializers.IntegerField()
    acknowledged_at = serializers.DateTimeField()


class InboxQuerySerializer(serializers.Serializer):
    include_resolved = FlagField(
        default=False, help_text="Also list notifications whose ERP object was resolved (hidden by default).")


class AcknowledgementQuerySerializer(serializers.Serializer):
    related_object_type = TextField(max_length=100)
    related_object_id = IdField()


class AcknowledgementSerializer(serializers.Serializer):
    notification_id = serializers.IntegerField()
    recipient_id = serializers.IntegerField()
    recipient_name = serializers.CharField()
    requires_ack = serializers.BooleanField()
    created_at = serializers.DateTimeField(help_text="Stored.")
    delivered_at = serializers.DateTimeField(allow_null=True, help_text="First reached a live notification socket.")
    read_at = serializers.DateTimeField(allow_null=True)
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    reminded_at = serializers.DateTimeField(allow_null=True, help_text="The last reminder.")
    escalated_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)


class PreferencesRequestSerializer(serializers.Serializer):
    # Required: an empty PATCH must not turn emails back on.
    email_digest = FlagField(help_text="Send missed-message emails.")


class PreferencesSerializer(serializers.Serializer):
    email_digest = serializers.BooleanField(help_text="Missed-message emails are on.")
    last_digest_at = serializers.DateTimeField(allow_null=True, help_text="When the last one was sent.")
