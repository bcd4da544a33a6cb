from django.contrib import admin

from chat.models import Attachment, ChatMessage, Conversation, TypingIndicator


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "participant1", "participant2", "last_message_at", "participant1_unread_count",
                    "participant2_unread_count")
    raw_id_fields = ("participant1", "participant2", "last_message")
    search_fields = ("participant1__username", "participant2__username")


@admin.register(ChatMessage)
class ChatMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "sender", "receiver", "short_text", "timestamp", "delivered_at", "is_read")
    list_filter = ("is_read",)
    raw_id_fields = ("conversation", "sender", "receiver", "attachment")
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
