"""The notification REST API (docs/rest-api.md): reads from selectors, writes enqueued to the workers.

Notifications are never rewritten through the API: there is no PUT, PATCH or DELETE of a
notification itself, only the read, dismiss and acknowledge actions.
"""
from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from core.api.schema import ErrorSerializer, id_path_parameter
from core.api.tasks import raise_if_error, wait_for
from core.api.viewsets import ApiViewSet, action
from core.errors import Forbidden
from core.validation import parse_id
from notifications import selectors, services, tasks
from notifications.api import serializers as s
from notifications.api.filters import NotificationFilter

ID_PARAMETER = id_path_parameter("id", "The notification's id.")


class NotificationPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


def queued() -> Response:
    """The workers did not answer in time; the change is still applied and broadcast."""
    return Response({"status": "queued"}, status=status.HTTP_202_ACCEPTED)


class NotificationViewSet(ApiViewSet):
    filterset_class = NotificationFilter
    pagination_class = NotificationPagination
    serializer_class = s.NotificationSerializer
    throttle_scopes = dict.fromkeys(("mark_read", "mark_all_read", "dismiss", "dismiss_all", "mark_read_by_object",
                                     "acknowledge"), "notification_actions")

    def get_queryset(self):
        return selectors.inbox(self.user_id, include_resolved=self.include_resolved())

    def include_resolved(self) -> bool:
        query = s.InboxQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data["include_resolved"]

    async def run(self, task, **kwargs) -> dict | None:
        outcome = await wait_for(task, user_id=self.user_id, **kwargs)
        return None if outcome is None else raise_if_error(outcome)

    @extend_schema(parameters=[s.InboxQuerySerializer],
                   responses={200: s.NotificationSerializer(many=True), 400: ErrorSerializer})
    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset())) or []
        now = timezone.now()
        return self.get_paginated_response([selectors.notification_payload(n, now) for n in page])

    @extend_schema(responses={200: s.UnreadNotificationsSerializer})
    @action(detail=False, methods=["get"])
    def unread(self, request):
        return Response(selectors.unread_summary(self.user_id))

    @extend_schema(responses={200: s.NotificationCountSerializer})
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request):
        return Response({"count": selectors.unread_count(self.user_id)})

    @extend_schema(request=None, parameters=[ID_PARAMETER], responses={
        200: s.NotificationReadSerializer, 202: s.NotificationQueuedSerializer, 400: ErrorSerializer, 404: ErrorSerializer})
    @action(detail=True, methods=["post"], url_path="mark-read")
    async def mark_read(self, request, pk: str):
        notification_id = parse_id(pk, "notification_id")
        outcome = await self.run(tasks.MARK_READ, notification_id=notification_id)
        if outcome is None:
            return queued()
        return Response({"success": True, "notification_id": notification_id, "read_at": outcome["read_at"]})

    @extend_schema(request=None, responses={200: s.NotificationsChangedSerializer, 202: s.NotificationQueuedSerializer})
    @action(detail=False, methods=["post"], url_path="mark-all-read")
    async def mark_all_read(self, request):
        outcome = await self.run(tasks.MARK_ALL_READ)
        return queued() if outcome is None else Response({"success": True, "count": outcome["count"]})

    @extend_schema(request=None, parameters=[ID_PARAMETER], responses={
        200: s.NotificationDismissedSerializer, 202: s.NotificationQueuedSerializer, 400: ErrorSerializer, 404: ErrorSerializer})
    @action(detail=True, methods=["delete"])
    async def dismiss(self, request, pk: str):
        notification_id = parse_id(pk, "notification_id")
        outcome = await self.run(tasks.DISMISS, notification_id=notification_id)
        return queued() if outcome is None else Response({"success": True, "notification_id": notification_id})

    @extend_schema(request=None, responses={200: s.NotificationsChangedSerializer, 202: s.NotificationQueuedSerializer})
    @action(detail=False, methods=["delete"], url_path="dismiss-all")
    async def dismiss_all(self, request):
        outcome = await self.run(tasks.DISMISS_ALL)
        return queued() if outcome is None else Response({"success": True, "count": outcome["count"]})

    @extend_schema(request=s.MarkReadByObjectSerializer, responses={
        200: s.NotificationsChangedSerializer, 202: s.NotificationQueuedSerializer, 400: ErrorSerializer})
    @action(detail=False, methods=["post"], url_path="mark-read-by-object")
    async def mark_read_by_object(self, request):
        data = s.MarkReadByObjectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = await self.run(tasks.MARK_READ_BY_OBJECT, **data.validated_data)
        return queued() if outcome is None else Response({"success": True, "count": outcome["count"]})

    @extend_schema(request=None, parameters=[ID_PARAMETER], responses={
        200: s.NotificationAcknowledgedSerializer, 202: s.NotificationQueuedSerializer, 400: ErrorSerializer,
        404: ErrorSerializer})
    @action(detail=True, methods=["post"])
    async def acknowledge(self, request, pk: str):
        """Acknowledges a must-acknowledge notification (reading alone does not); reminders and escalation stop."""
        notification_id = parse_id(pk, "notification_id")
        outcome = await self.run(tasks.ACKNOWLEDGE, notification_id=notification_id)
        if outcome is None:
            return queued()
        return Response({"success": True, "notification_id": notification_id,
                         "acknowledged_at": outcome["acknowledged_at"]})

    @extend_schema(parameters=[s.AcknowledgementQuerySerializer],
                   responses={200: s.AcknowledgementSerializer(many=True), 400: ErrorSerializer, 403: ErrorSerializer})
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def acks(self, request):
        """For staff: who of the recipients of the notifications about one ERP object got them, read
        them and acknowledged them, and when."""
        if not request.user.is_staff:
            raise Forbidden("Staff only")
        query = s.AcknowledgementQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(selectors.acknowledgement_report(**query.validated_data))

    @extend_schema(methods=["GET"], responses={200: s.PreferencesSerializer})
    @extend_schema(methods=["PATCH"], request=s.PreferencesRequestSerializer,
                   responses={200: s.PreferencesSerializer, 400: ErrorSerializer})
    @action(detail=False, methods=["get", "patch"], pagination_class=None, filter_backends=[])
    def preferences(self, request):
        """Your missed-message email setting (opt out with `{"email_digest": false}`)."""
        if request.method == "PATCH":
            data = s.PreferencesRequestSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            services.set_preferences(user_id=self.user_id, email_digest=data.validated_data["email_digest"])
        return Response(selectors.preferences_payload(self.user_id))
