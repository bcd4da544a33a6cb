"""The chat REST API (docs/rest-api.md): validates, enqueues, and answers with the documented shapes."""
from __future__ import annotations

from dataclasses import asdict

from asgiref.sync import sync_to_async
from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.response import Response

from chat import selectors, services, tasks, typing
from chat.api import serializers as s
from chat.api.filters import MAX_SEARCH_LENGTH, MessageFilter
from chat.api.parsers import UploadParser
from core.api.fields import PATH_ID
from core.api.schema import ErrorSerializer, id_path_parameter
from core.api.tasks import raise_if_error, wait_for
from core.api.viewsets import ApiViewSet, action
from core.errors import NotFound, ValidationFailed
from core.timestamps import iso_z
from core.users import active_user, display_name
from core.validation import parse_emoji, parse_id
from presence.selectors import online_contacts
from realtime.fanout import run_async
from realtime.handover import enqueue_now


class MessagePagination(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100


USER_ID_PARAMETER = id_path_parameter("user_id", "The other person's user id.")
MESSAGE_ID_PARAMETER = id_path_parameter("id", "The message's id.")
CONVERSATION_ID_PARAMETER = id_path_parameter("conversation_id", "The conversation's id.")
BLOCKED_ID_PARAMETER = id_path_parameter("user_id", "The blocked person's user id.")
EMOJI_PARAMETER = OpenApiParameter("emoji", str, OpenApiParameter.PATH, description="The emoji, percent-encoded.")
QUEUED = {"status": "queued", "temp_id": None}
CHANGE_RESPONSES = {200: s.MessageSerializer, 202: s.QueuedSerializer, 400: ErrorSerializer, 403: ErrorSerializer,
                    404: ErrorSerializer}
ATTACHMENT_ID_PARAMETER = id_path_parameter("attachment_id", "The attachment's id.")
SEARCH_PARAMETER = OpenApiParameter(
    "search", {"type": "string", "maxLength": MAX_SEARCH_LENGTH},
    description="Full-text search on the text, in any language: every word of the query must start a word of the "
                "message. A query without words (emoji, punctuation) matches as a substring.",
)
DOWNLOAD_HEADERS = [
    OpenApiParameter("Content-Disposition", str, OpenApiParameter.HEADER, response=[200],
                     description='Always `attachment; filename="…"`: never rendered inline.'),
    OpenApiParameter("X-Content-Type-Options", str, OpenApiParameter.HEADER, response=[200],
                     description="Always `nosniff`."),
]


class ChatViewSet(ApiViewSet):
    filterset_class = MessageFilter
    pagination_class = MessagePagination
    serializer_class = s.MessageSerializer
    parser_classes = [JSONParser, FormParser, UploadParser]
    # Changes to sent messages share the sends' budget.
    throttle_scopes = {"create": "chat_send", "partial_update": "chat_send", "destroy": "chat_send",
                       "add_reaction": "chat_send", "remove_reaction": "chat_send",
                       "upload_attachment": "chat_upload", "typing": "chat_typing", "mark_read": "chat_receipts"}

    def get_queryset(self):
        return selectors.message_list(self.user_id)

    @extend_schema(request={"application/json": s.SendMessageSerializer,
                            "multipart/form-data": s.SendMessageWithUploadSerializer},
                   responses={201: s.MessageSerializer, 202: s.QueuedSerializer, 400: ErrorSerializer, 403: ErrorSerializer,
                              404: ErrorSerializer, 409: ErrorSerializer})
    async def create(self, request):
        send = await sync_to_async(self.new_message)(request)
        await typing.stop_typing(user_id=self.user_id, user_name=display_name(request.user),
                                 partner_id=send.receiver_id, only_if_active=True)
        outcomes = await wait_for(tasks.SEND_MESSAGES, sends=[asdict(send)])
        if outcomes is None:
            return Response({"status": "queued", "temp_id": send.temp_id}, status=status.HTTP_202_ACCEPTED)
        raise_if_error(outcomes[0])
        return Response(await sync_to_async(self.stored_message)(send), status=status.HTTP_201_CREATED)

    def new_message(self, request) -> services.NewMessage:
        data = s.SendMessageWithUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        temp_id = fields.get("temp_id")
        idempotency_key = services.idempotency_key_for(temp_id)
        attachment_id = self.attachment_to_send(fields, idempotency_key)
        return services.NewMessage(sender_id=self.user_id, receiver_id=fields["receiver_id"], text=fields["message"],
                                   temp_id=temp_id, idempotency_key=idempotency_key, attachment_id=attachment_id,
                                   reply_to_id=fields.get("reply_to_id"))

    def stored_message(self, send: services.NewMessage) -> dict:
        message = selectors.sent_message(sender_id=send.sender_id, idempotency_key=send.idempotency_key)
        assert message is not None, "the worker reported it stored"
        return selectors.message_payload(message)

    def attachment_to_send(self, fields: dict, idempotency_key: str) -> int | None:
        """A multipart send's file is stored first (synchronously: it is in this request's body)."""
        upload = fields.get("attachment")
        if upload is None:
            return fields.get("attachment_id")
        if fields.get("attachment_id") is not None:
            raise ValidationFailed("Send either an attachment file or an attachment_id, not both")
        retried = selectors.sent_message(sender_id=self.user_id, idempotency_key=idempotency_key)
        if retried is not None:
            # A retried send: its file is stored and attached already.
            return retried.attachment_id
        return services.store_attachment(uploader_id=self.user_id, upload=upload).pk

    @extend_schema(parameters=[MESSAGE_ID_PARAMETER], request=s.EditMessageSerializer, responses=CHANGE_RESPONSES)
    async def partial_update(self, request, pk: str):
        """Edits your own message, within CHAT_EDIT_WINDOW_SECONDS of sending."""
        message_id = parse_id(pk, "id")
        data = s.EditMessageSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return await self.changed(tasks.EDIT_MESSAGE, editor_id=self.user_id, message_id=message_id,
                                  text=data.validated_data["message"])

    @extend_schema(parameters=[MESSAGE_ID_PARAMETER],
                   responses={204: None, 202: s.QueuedSerializer, 403: ErrorSerializer, 404: ErrorSerializer})
    async def destroy(self, request, pk: str):
        """Deletes your own message, at any time: its text and attachment are gone for both people."""
        message_id = parse_id(pk, "id")
        outcome = await wait_for(tasks.DELETE_MESSAGE, user_id=self.user_id, message_id=message_id)
        if outcome is None:
            return Response(QUEUED, status=status.HTTP_202_ACCEPTED)
        raise_if_error(outcome)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(parameters=[MESSAGE_ID_PARAMETER], request=s.ReactionRequestSerializer, responses=CHANGE_RESPONSES)
    @action(detail=True, methods=["post"], url_path="reactions")
    async def add_reaction(self, request, pk: str):
        """Adds your emoji to a message of your conversation (adding it twice changes nothing)."""
        message_id = parse_id(pk, "id")
        data = s.ReactionRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return await self.changed(tasks.REACT, user_id=self.user_id, message_id=message_id,
                                  emoji=data.validated_data["emoji"], add=True)

    @extend_schema(parameters=[MESSAGE_ID_PARAMETER, EMOJI_PARAMETER], request=None, responses=CHANGE_RESPONSES)
    @action(detail=True, methods=["delete"], url_path=r"reactions/(?P<emoji>[^/]+)")
    async def remove_reaction(self, request, pk: str, emoji: str):
        """Removes your emoji from a message (removing what is not there changes nothing)."""
        message_id = parse_id(pk, "id")
        return await self.changed(tasks.REACT, user_id=self.user_id, message_id=message_id,
                                  emoji=parse_emoji(emoji), add=False)

    async def changed(self, task: str, *, message_id: int, **kwargs) -> Response:
        """Hands a change of a message to the workers; answers with the message as it is after it."""
        outcome = await wait_for(task, message_id=message_id, **kwargs)
        if outcome is None:
            return Response(QUEUED, status=status.HTTP_202_ACCEPTED)
        raise_if_error(outcome)
        return Response(await sync_to_async(self.message_seen_by_caller)(message_id))

    def message_seen_by_caller(self, message_id: int) -> dict:
        message = selectors.message_of_user(user_id=self.user_id, message_id=message_id)
        if message is None:
            raise NotFound("Message not found")
        return selectors.message_payload(message)

    @extend_schema(parameters=[SEARCH_PARAMETER], responses={200: s.MessageSerializer(many=True)})
    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset())) or []
        return self.get_paginated_response([selectors.message_payload(message) for message in page])

    @extend_schema(responses={200: s.ConversationSerializer(many=True)})
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def conversations(self, request):
        return Response(selectors.conversation_list(self.user_id))

    @extend_schema(parameters=[s.HistoryQuerySerializer, USER_ID_PARAMETER],
                   responses={200: s.HistorySerializer, 404: ErrorSerializer})
    @action(detail=False, methods=["get"], url_path=rf"conversation/(?P<user_id>{PATH_ID})")
    def conversation(self, request, user_id: str):
        query = s.HistoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        partner = selectors.history_partner(viewer_id=self.user_id, user_id=parse_id(user_id, "user_id"))
        if partner is None:
            raise NotFound("User not found")
        other, conversation = partner
        messages, has_more = selectors.history(conversation=conversation, **query.validated_data) if conversation else ([], False)
        return Response({
            "conversation_id": conversation.pk if conversation else None,
            "messages": [selectors.message_payload(message) for message in messages],
            # Presence is shown to contacts only: without a conversation there is none to show.
            "other_user": selectors.other_user_payload(
                other, selectors.visible_online_partners(self.user_id, [other.pk]) if conversation else set()
            ),
            "has_more": has_more,
        })

    @extend_schema(request=s.MARK_READ_REQUEST, responses={200: s.MarkReadResultSerializer, 202: s.QueuedSerializer,
                                                           400: ErrorSerializer, 404: ErrorSerializer})
    @action(detail=False, methods=["post"], url_path="mark-read")
    async def mark_read(self, request):
        data = s.MarkReadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = await wait_for(tasks.MARK_READ, reader_id=self.user_id, **data.validated_data)
        if outcome is None:
            return Response({"status": "queued", "temp_id": None}, status=status.HTTP_202_ACCEPTED)
        raise_if_error(outcome)
        return Response({"success": True, "marked_count": outcome["count"], "read_at": outcome["read_at"]})

    @extend_schema(request=s.TypingSerializer, responses={200: s.SuccessSerializer, 400: ErrorSerializer,
                                                           404: ErrorSerializer})
    @action(detail=False, methods=["post"])
    def typing(self, request):
        data = s.TypingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        partner_id, user_id, user_name = data.validated_data["receiver_id"], self.user_id, display_name(request.user)
        if partner_id == user_id:
            raise ValidationFailed("You cannot type to yourself")
        if not data.validated_data["is_typing"]:
            run_async(typing.stop_typing(user_id=user_id, user_name=user_name, partner_id=partner_id, only_if_active=False))
            return Response({"success": True})
        active_user(partner_id)
        if selectors.is_blocked_either_way(user_id, partner_id):
            # Goes nowhere, silently, as on the socket: only a send tells the blocked person.
            return Response({"success": True})
        if run_async(typing.start_typing(user_id=user_id, user_name=user_name, partner_id=partner_id)):
            enqueue_now(tasks.RECORD_TYPING, user_id=user_id, partner_id=partner_id, is_typing=True)
        enqueue_now(tasks.EXPIRE_TYPING, countdown=settings.CHAT_TYPING_TTL_SECONDS + 0.5,
                    user_id=user_id, user_name=user_name, partner_id=partner_id)
        return Response({"success": True})

    @extend_schema(methods=["POST"], parameters=[CONVERSATION_ID_PARAMETER], request=s.MuteSerializer,
                   responses={200: s.MuteResultSerializer, 400: ErrorSerializer, 404: ErrorSerializer})
    @extend_schema(methods=["DELETE"], parameters=[CONVERSATION_ID_PARAMETER], request=None,
                   responses={204: None, 404: ErrorSerializer})
    @action(detail=False, methods=["post", "delete"], url_path=rf"conversations/(?P<conversation_id>{PATH_ID})/mute")
    def mute(self, request, conversation_id: str):
        """Mutes a conversation (no chat notifications; messages still arrive and count) or unmutes it."""
        conversation = parse_id(conversation_id, "conversation_id")
        if request.method == "DELETE":
            services.unmute_conversation(user_id=self.user_id, conversation_id=conversation)
            return Response(status=status.HTTP_204_NO_CONTENT)
        data = s.MuteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        mute = services.mute_conversation(user_id=self.user_id, conversation_id=conversation,
                                          until=data.validated_data["until"])
        return Response({"conversation_id": conversation, "muted": True, "muted_until": iso_z(mute.until)})

    @extend_schema(methods=["GET"], responses={200: s.BlockSerializer(many=True)})
    @extend_schema(methods=["POST"], request=s.BlockRequestSerializer,
                   responses={201: s.BlockSerializer, 400: ErrorSerializer, 404: ErrorSerializer})
    @action(detail=False, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def blocks(self, request):
        """The people you blocked, or block one more: neither of you then gets the other's messages,
        typing or presence."""
        if request.method == "GET":
            return Response([selectors.block_payload(block) for block in selectors.blocks_of(self.user_id)])
        data = s.BlockRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        block = services.block_user(blocker_id=self.user_id, blocked_id=data.validated_data["user_id"])
        return Response(selectors.block_payload(block), status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[BLOCKED_ID_PARAMETER], request=None, responses={204: None, 400: ErrorSerializer})
    @action(detail=False, methods=["delete"], url_path=rf"blocks/(?P<user_id>{PATH_ID})")
    def unblock(self, request, user_id: str):
        """Unblocks someone (unblocking someone not blocked changes nothing)."""
        services.unblock_user(blocker_id=self.user_id, blocked_id=parse_id(user_id, "user_id"))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: s.UnreadCountSerializer})
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request):
        return Response(selectors.unread_summary(self.user_id))

    @extend_schema(responses={200: s.OnlineUsersSerializer})
    @action(detail=False, methods=["get"], url_path="online-users")
    def online_users(self, request):
        return Response({"online_users": online_contacts(self.user_id)})

    @extend_schema(request={"multipart/form-data": s.UploadSerializer},
                   responses={201: s.AttachmentSerializer, 400: ErrorSerializer})
    @action(detail=False, methods=["post"], url_path="attachments", parser_classes=[UploadParser])
    def upload_attachment(self, request):
        """Stores an upload; its type is sniffed from the content. Attach it with `attachment_id`."""
        data = s.UploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attachment = services.store_attachment(uploader_id=self.user_id, upload=data.validated_data["file"])
        return Response(selectors.attachment_payload(attachment), status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[ATTACHMENT_ID_PARAMETER, *DOWNLOAD_HEADERS],
                   responses={(200, "*/*"): OpenApiTypes.BINARY, 404: ErrorSerializer})
    @action(detail=False, methods=["get"], url_path=rf"attachments/(?P<attachment_id>{PATH_ID})/download",
            url_name="attachment-download")
    def download_attachment(self, request, attachment_id: str):
        """The file, as a download, to its uploader and the two people of its message only."""
        attachment = get_object_or_404(selectors.attachments_visible_to(self.user_id),
                                       pk=parse_id(attachment_id, "attachment_id"))
        try:
            return selectors.attachment_response(attachment)
        except FileNotFoundError:
            # The row outlived its file (storage restored from an older backup, a manual clean-up).
            raise NotFound("The attachment's file is missing") from None
