from __future__ import annotations

import django_filters
from django.conf import settings

from notifications.models import InAppNotification


class SemanticOrderingFilter(django_filters.OrderingFilter):
    """`priority` orders by meaning (urgent > high > normal > low); ties go newest first."""

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.order_by(*(self.get_ordering_value(param) for param in value), "-created_at", "-id")


class NotificationFilter(django_filters.FilterSet):
    notification_type = django_filters.ChoiceFilter(choices=lambda: [(name, name) for name in settings.NOTIFICATION_TYPES])
    # Strict, unlike BooleanFilter, which ignores a value it cannot read instead of refusing it.
    is_read = django_filters.TypedChoiceFilter(choices=[("true", "true"), ("false", "false")],
                                               coerce=lambda value: value == "true")
    priority = django_filters.ChoiceFilter(choices=InAppNotification.PRIORITIES)
    ordering = SemanticOrderingFilter(fields=(("created_at", "created_at"), ("priority_rank", "priority")))

    class Meta:
        model = InAppNotification
        fields: list[str] = []
