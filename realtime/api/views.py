"""The event stream over REST (docs/rest-api.md "Events"): the same events a resuming socket gets."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from core.api.viewsets import ApiViewSet
from realtime import stream
from realtime.api import serializers as s
from realtime.models import Event


class EventViewSet(ApiViewSet):
    pagination_class = None
    queryset = Event.objects.none()  # names the model for the schema; `realtime.stream` reads the events

    @extend_schema(parameters=[s.EventQuerySerializer],
                   responses={200: s.EventPageSerializer, 410: s.ResyncRequiredSerializer})
    def list(self, request):
        query = s.EventQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(stream.event_page(user_id=self.user_id, **query.validated_data))
