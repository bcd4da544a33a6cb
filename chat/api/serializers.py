"""Request validation and the documented response shapes of the chat API (docs/rest-api.md).

Requests are read by the parsers that read the socket's frames (`core.api.fields`), and checked by
the same rules afterwards (`chat.services`), in the same order, so that both tell a client the same.
"""
from __future__ import annotations

from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers

from chat.services import validate_message_text, validate_read_selector
from core.api.fields import (
    EmojiField,
    FlagField,
    IdField,
    IdListField,
    IntegerRangeField,
    TempIdField,
    TextField,
    TimestampField,
)


class SendMessageSerializer(serializers.Serializer):
    receiver_id = IdField()
    message = TextField(required=False, allow_blank=True, trim_whitespace=False, default="")
    attachment_id = IdField(required=False, allow_null=True)
    temp_id = TempIdField(required=False, allow_null=True)
    reply_to_id = IdField(required=False, allow_null=True,
                          help_text="A message of the same conversation that this one answers.")

    def validate(self, attrs: dict) -> dict:
        has_attachment = attrs.get("attachment_id") is not None or attrs.get("attachment") is not None
        validate_message_text(text=attrs["message"], has_attachment=has_attachment)
        return attrs


class SendMessageWithUploadSerializer(SendMessageSerializer):
    """A multipart send may carry the file itself; it is stored as an upload, then attached."""

    attachment = serializers.FileField(required=False, allow_empty_file=True, max_length=None, use_url=False)


class EditMessageSerializer(serializers.Serializer):
    message = TextField(allow_blank=True, trim_whitespace=False,
                        help_text="The new text; may be empty only when the message has an attachment.")


class ReactionRequestSerializer(serializers.Serializer):
    emoji = EmojiField(help_text="One emoji (a single grapheme: flags, skin tones and ZWJ sequences count as one), "
                                 "at most 32 bytes.")


class MuteSerializer(serializers.Serializer):
    until = TimestampField(required=False, allow_null=True, default=None,
                           help_text="When the mute ends (ISO-8601, in the future); null or absent: until unmuted.")


class MuteResultSerializer(serializers.Serializer):
    conversation_id = serializers.IntegerField()
    muted = serializers.BooleanField()
    muted_until = serializers.DateTimeField(allow_null=True)


class BlockRequestSerializer(serializers.Serializer):
    user_id = IdField()


class UploadSerializer(serializers.Serializer):
    # Empty files and long names get their own clear errors from chat.uploads.
    file = serializers.FileField(allow_empty_file=True, max_length=None, use_url=False)


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField(help_text="Download path (served only to the uploader and the two people "
                                          "of the message it is attached to).")
    attachment_type = serializers.ChoiceField(choices=["image", "video", "audio", "document"])
    size = serializers.IntegerField(help_text="Bytes.")
    content_type = serializers.CharField(help_text="Sniffed from the content, never taken from the client.")
    name = serializers.CharField(help_text="The uploaded file's name, for display only.")


UP_TO_ID_HELP = ("The newest message the reader was shown: only messages up to this id are marked, so one that "
                 "arrived after it stays unread. Without it, every unread message of the conversation or sender.")


class MarkReadSerializer(serializers.Serializer):
    message_ids = IdListField(required=False)
    conversation_id = IdField(required=False)
    sender_id = IdField(required=False)
    up_to_id = IdField(required=False)

    def validate(self, attrs: dict) -> dict:
        validate_read_selector(**{str(name): attrs.get(name) for name in self.fields})
        return attrs


class MarkReadByIdsSerializer(serializers.Serializer):
    message_ids = IdListField()


class MarkReadByConversationSerializer(serializers.Serializer):
    conversation_id = IdField()
    up_to_id = IdField(required=False, help_text=UP_TO_ID_HELP)


class MarkReadBySenderSerializer(serializers.Serializer):
    sender_id = IdField()
    up_to_id = IdField(required=False, help_text=UP_TO_ID_HELP)


# What the documentation shows for MarkReadSerializer: exactly one of the three selectors.
MARK_READ_REQUEST = PolymorphicProxySerializer(
    component_name="MarkReadRequest",
    serializers=[MarkReadByIdsSerializer, MarkReadByConversationSerializer, MarkReadBySenderSerializer],
    resource_type_field_name=None,
)


class TypingSerializer(serializers.Serializer):
    receiver_id = IdField()
    is_typing = FlagField(default=True)


class HistoryQuerySerializer(serializers.Serializer):
    limit = IntegerRangeField(required=False, min_value=1, max_value=100, default=50)
    before_id = IdField(required=False, allow_null=True, default=None)
    offset = IntegerRangeField(required=False, min_value=0, max_value=100_000, default=0)


class OtherUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField()
    avatar = serializers.CharField(allow_null=True)
    is_online = serializers.BooleanField()


class BlockSerializer(serializers.Serializer):
    user = OtherUserSerializer(help_text="The blocked person (is_online is always false here).")
    created_at = serializers.DateTimeField()


class ReplyExcerptSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sender_id = serializers.IntegerField()
    message = serializers.CharField(allow_blank=True, help_text="The first 200 characters of the original as it "
                                                                "reads now; empty once it is deleted.")
    deleted = serializers.BooleanField()


class ReactionSerializer(serializers.Serializer):
    emoji = serializers.CharField()
    user_ids = serializers.ListField(child=serializers.IntegerField(), help_text="Who added it, first first.")


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    conversation_id = serializers.IntegerField()
    sender = serializers.IntegerField()
    sender_id = serializers.IntegerField()
    sender_name = serializers.CharField()
    sender_avatar = serializers.CharField(allow_null=True)
    receiver = serializers.IntegerField()
    receiver_id = serializers.IntegerField()
    receiver_name = serializers.CharField()
    message = serializers.CharField(allow_blank=True)
    attachment = serializers.CharField(allow_null=True)
    attachment_type = serializers.ChoiceField(choices=["image", "video", "audio", "document"], allow_null=True)
    is_read = serializers.BooleanField()
    read_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    timestamp = serializers.DateTimeField()
    temp_id = serializers.CharField(allow_null=True)
    reply_to = ReplyExcerptSerializer(allow_null=True)
    edited_at = serializers.DateTimeField(allow_null=True)
    deleted_at = serializers.DateTimeField(allow_null=True, help_text="Set once deleted: the text is then empty "
                                                                      "and the attachment null.")
    reactions = ReactionSerializer(many=True)


class QueuedSerializer(serializers.Serializer):
    status = serializers.CharField()
    temp_id = serializers.CharField(allow_null=True)


class ConversationSerializer(serializers.Serializer):
    conversation_id = serializers.IntegerField()
    other_user = OtherUserSerializer()
    last_message = serializers.CharField(allow_null=True)
    last_message_at = serializers.DateTimeField(allow_null=True)
    last_message_by_me = serializers.BooleanField()
    unread_count = serializers.IntegerField()
    updated_at = serializers.DateTimeField()
    muted = serializers.BooleanField(help_text="No chat notifications from this conversation while true.")
    muted_until = serializers.DateTimeField(allow_null=True, help_text="When the mute ends; null when it lasts "
                                                                      "until unmuted, or when not muted.")


class HistorySerializer(serializers.Serializer):
    conversation_id = serializers.IntegerField(allow_null=True)
    messages = MessageSerializer(many=True)
    other_user = OtherUserSerializer()
    has_more = serializers.BooleanField()


class MarkReadResultSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    marked_count = serializers.IntegerField()
    read_at = serializers.DateTimeField()


class SuccessSerializer(serializers.Serializer):
    success = serializers.BooleanField()


class ConversationUnreadSerializer(serializers.Serializer):
    conversation_id = serializers.IntegerField()
    unread_count = serializers.IntegerField()
    other_user_id = serializers.IntegerField()
    other_user_name = serializers.CharField()


class UnreadCountSerializer(serializers.Serializer):
    total_unread = serializers.IntegerField()
    conversations = ConversationUnreadSerializer(many=True)


class OnlineUsersSerializer(serializers.Serializer):
    online_users = serializers.ListField(child=serializers.IntegerField())
