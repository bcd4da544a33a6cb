from __future__ import annotations

import django_filters

from chat.models import ChatMessage


class MessageFilter(django_filters.FilterSet):
    conversation = django_filters.NumberFilter(field_name="conversation_id")
    sender = django_filters.NumberFilter(field_name="sender_id")
    receiver = django_filters.NumberFilter(field_name="receiver_id")
    is_read = django_filters.BooleanFilter()
    since = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="lt")
    has_attachment = django_filters.BooleanFilter(field_name="attachment", lookup_expr="isnull", exclude=True)

    class Meta:
        model = ChatMessage
        fields: list[str] = []
