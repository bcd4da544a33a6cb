from django.contrib import admin

from chat import selectors
from chat.models import (
    Attachment,
    ChatMessage,
    Conversation,
    ConversationMute,
    MessageRevision,
    Reaction,
    TypingIndicator,
    UserBlock,
)
from realtime.delivery_page import DELIVERED, DeliveryPageMixin, Step


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "participant1", "participant2", "last_message_at", "participant1_unread_count",
                    "participant2_unread_count")
    raw_id_fields = ("participant1", "participant2", "last_message")
    search_fields = ("participant1__username", "participant2__username")


class MessageRevisionInline(admin.TabularInline):
    """Every text an edit replaced, and what a deletion removed: the audit trail, shown here only."""

    model = MessageRevision
    fields = ("action", "previous_text", "previous_attachment_name", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ChatMessage)
class ChatMessageAdmin(DeliveryPageMixin, admin.ModelAdmin):
    list_display = ("id", "sender", "receiver", "short_text", "timestamp", "delivered_at", "is_read", "edited_at",
                    "deleted_at", "delivery_link")
    delivery_kind = "message"
    delivery_frame = ("chat", "message", "id")
    list_filter = ("is_read", ("deleted_at", admin.EmptyFieldListFilter), ("edited_at", admin.EmptyFieldListFilter))
    raw_id_fields = ("conversation", "sender", "receiver", "attachment", "reply_to")
    inlines = [MessageRevisionInline]
    search_fields = ("message", "sender__username", "receiver__username")
    date_hierarchy = "timestamp"

    @admin.display(description="message")
    def short_text(self, message: ChatMessage) -> str:
        return message.message[:80]

    def delivery_recipient_id(self, message: ChatMessage) -> int:
        return message.receiver_id

    def delivery_timeline(self, message: ChatMessage) -> list[Step]:
        steps = [Step("Stored", message.timestamp, f"from user {message.sender_id} to user {message.receiver_id}"),
                 Step("Delivered", message.delivered_at, DELIVERED),
                 Step("Read", message.read_at)]
        if message.edited_at:
            steps.append(Step("Edited", message.edited_at))
        if message.deleted_at:
            steps.append(Step("Deleted", message.deleted_at))
        return steps

    def delivery_notes(self, message: ChatMessage) -> list[str]:
        notes = []
        if message.conversation_id in selectors.muted_until_of(message.receiver_id):
            notes.append("The receiver has muted this conversation: no notification or email about it.")
        if selectors.is_blocked_either_way(message.sender_id, message.receiver_id):
            notes.append("One of the two now blocks the other: new messages between them are refused.")
        return notes


@admin.register(TypingIndicator)
class TypingIndicatorAdmin(admin.ModelAdmin):
    list_display = ("user", "partner", "is_typing", "last_activity_at")
    raw_id_fields = ("user", "partner", "conversation")


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ("id", "uploader", "name", "attachment_type", "content_type", "size", "created_at")
    raw_id_fields = ("uploader",)


@admin.register(Reaction)
class ReactionAdmin(admin.ModelAdmin):
    list_display = ("message", "user", "emoji", "created_at")
    raw_id_fields = ("message", "user")


@admin.register(ConversationMute)
class ConversationMuteAdmin(admin.ModelAdmin):
    list_display = ("conversation", "user", "until")
    raw_id_fields = ("conversation", "user")


@admin.register(UserBlock)
class UserBlockAdmin(admin.ModelAdmin):
    list_display = ("blocker", "blocked", "created_at")
    raw_id_fields = ("blocker", "blocked")
    search_fields = ("blocker__username", "blocked__username")
