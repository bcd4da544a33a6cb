from django.contrib import admin

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
class ChatMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "sender", "receiver", "short_text", "timestamp", "delivered_at", "is_read", "edited_at",
                    "deleted_at")
    list_filter = ("is_read", ("deleted_at", admin.EmptyFieldListFilter), ("edited_at", admin.EmptyFieldListFilter))
    raw_id_fields = ("conversation", "sender", "receiver", "attachment", "reply_to")
    inlines = [MessageRevisionInline]
    search_fields = ("message", "sender__username", "receiver__username")
    date_hierarchy = "timestamp"

    @admin.display(description="message")
    def short_text(self, message: ChatMessage) -> str:
        return message.message[:80]


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
