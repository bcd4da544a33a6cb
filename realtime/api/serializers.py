"""The event list's query and answers (docs/rest-api.md "Events")."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from core.api.fields import IntegerRangeField
from core.validation import MAX_SEQ
from realtime.stream import DURABLE_TYPES, MAX_EVENT_PAGE


class EventQuerySerializer(serializers.Serializer):
    family = serializers.ChoiceField(choices=sorted(DURABLE_TYPES), help_text="The socket family's stream.")
    since = IntegerRangeField(required=False, min_value=0, max_value=MAX_SEQ, default=0,
                              help_text="The events after this `seq`; 0 for every event kept.")
    limit = IntegerRangeField(required=False, min_value=1, max_value=MAX_EVENT_PAGE, default=100)


@extend_schema_serializer(many=False)  # one page, though it answers a `list`
class EventPageSerializer(serializers.Serializer):
    events = serializers.ListField(child=serializers.DictField(), help_text="Frames as the sockets got them, each "
                                   "with its `seq`, oldest first.")
    last_seq = serializers.IntegerField(help_text="The stream's newest `seq`.")
    has_more = serializers.BooleanField(help_text="More events follow the last one: ask again from its `seq`.")


class ResyncRequiredSerializer(serializers.Serializer):
    error = serializers.CharField()
    code = serializers.CharField(help_text="`resync_required`.")
    oldest_seq = serializers.IntegerField(help_text="The oldest event kept (`last_seq` + 1 if none is).")
    last_seq = serializers.IntegerField()
