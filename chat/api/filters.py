from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from chat import selectors
from chat.models import ChatMessage
from core.api.fields import AsciiIntegerFormField
from core.validation import BOOLEAN_WORDS, MAX_ID

MAX_SEARCH_LENGTH = 200


class IdFilter(django_filters.NumberFilter):
    """A whole, positive id in ASCII digits: anything else, or an id beyond bigint, gets a 400, not a
    database error."""

    field_class = AsciiIntegerFormField

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, min_value=1, max_value=MAX_ID, **kwargs)


class StrictBooleanField(forms.NullBooleanField):
    """`true`/`false` (or `1`/`0`); anything else is a 400 rather than a silently ignored filter."""

    # The select widgets would turn an unknown value into "no filter" before it is validated.
    widget = forms.TextInput

    def to_python(self, value) -> bool | None:  # type: ignore[override]  # a null boolean, as its base class
        if value in (None, ""):
            return None
        if str(value).lower() not in BOOLEAN_WORDS:
            raise forms.ValidationError("Must be true or false.", code="invalid")
        return BOOLEAN_WORDS[str(value).lower()]


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class MessageFilter(django_filters.FilterSet):
    conversation = IdFilter(field_name="conversation_id")
    sender = IdFilter(field_name="sender_id")
    receiver = IdFilter(field_name="receiver_id")
    is_read = BooleanFilter()
    since = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="lt")
    has_attachment = BooleanFilter(method="filter_has_attachment")
    search = django_filters.CharFilter(method="filter_search", max_length=MAX_SEARCH_LENGTH)

    class Meta:
        model = ChatMessage
        fields: list[str] = []

    def filter_has_attachment(self, messages: QuerySet[ChatMessage], name: str, value: bool | None) -> QuerySet[ChatMessage]:
        """A deleted message shows no attachment, whatever its row still points to."""
        if value is None:
            return messages
        shown = Q(attachment__isnull=False, deleted_at__isnull=True)
        return messages.filter(shown) if value else messages.exclude(shown)

    def filter_search(self, messages: QuerySet[ChatMessage], name: str, value: str) -> QuerySet[ChatMessage]:
        return selectors.search_messages(messages, value)
