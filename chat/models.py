from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import models
from django.db.models import Q

# 'simple': no stemming and no stop words, so that text in any language and script is indexed as written.
MESSAGE_SEARCH_CONFIG = "simple"
MESSAGE_SEARCH_VECTOR = SearchVector("message", config=MESSAGE_SEARCH_CONFIG)


class Conversation(models.Model):
    """A 1:1 conversation. The pair is stored ordered (participant1_id < participant2_id)."""

    participant1 = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    participant2 = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Every message rewrites its conversation's row, so no index may cover a column that a message
    # changes: the UPDATE then stays HOT (in place, no new index entries), and the row does not
    # bloat the indexes the lookups use (docs/performance.md). Hence no index on last_message and
    # none on updated_at; the table leaves room in each page for those in-place versions
    # (fillfactor, migration 0003).
    last_message = models.ForeignKey("ChatMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                     db_index=False)
    last_message_at = models.DateTimeField(null=True, blank=True)
    # Unread messages received by each participant, kept exact by atomic UPDATEs in services.
    participant1_unread_count = models.PositiveIntegerField(default=0)
    participant2_unread_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "conversation"
        constraints = [
            models.UniqueConstraint(fields=["participant1", "participant2"], name="conversation_unique_pair"),
            models.CheckConstraint(condition=Q(participant1__lt=models.F("participant2")), name="conversation_ordered_pair"),
        ]

    def __str__(self) -> str:
        return f"Conversation {self.pk} ({self.participant1_id}, {self.participant2_id})"

    def other_participant_id(self, user_id: int) -> int:
        return self.participant2_id if user_id == self.participant1_id else self.participant1_id

    def unread_field_for(self, user_id: int) -> str:
        return "participant1_unread_count" if user_id == self.participant1_id else "participant2_unread_count"


class Attachment(models.Model):
    """An upload, stored under a generated name; attached to a message by its uploader, once."""

    TYPES = [("image", "Image"), ("video", "Video"), ("audio", "Audio"), ("document", "Document")]

    uploader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_attachments")
    file = models.FileField(upload_to="chat_attachments/%Y/%m/")
    attachment_type = models.CharField(max_length=16, choices=TYPES)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    name = models.CharField(max_length=255, help_text="The uploaded file's name, for display only.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "chat_attachment"

    def __str__(self) -> str:
        return f"Attachment {self.pk} ({self.attachment_type})"


class ChatMessage(models.Model):

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sent_chat_messages")
    receiver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="received_chat_messages")
    message = models.TextField(blank=True, default="")
    # One upload belongs to at most one message.
    attachment = models.OneToOneField("Attachment", null=True, blank=True, on_delete=models.SET_NULL, related_name="message")
    # The client's own temp_id, echoed back; null when the client sent none.
    temp_id = models.CharField(max_length=64, null=True, blank=True)
    # What makes a send idempotent: the client's temp_id, or a key the server generated at enqueue.
    idempotency_key = models.CharField(max_length=80)
    is_read = models.BooleanField(default=False)
    read_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    timestamp = models.DateTimeField(auto_now_add=True, db_index=True)
    # A message of the same conversation this one answers; its excerpt is read when shown, so it
    # follows the original's edits and deletion.
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 db_index=False)
    edited_at = models.DateTimeField(null=True, blank=True)
    # Deleting empties the text (and hides the attachment); the row stays, with its revisions, for the admin.
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "chat_message"
        ordering = ["-timestamp", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["sender", "idempotency_key"], name="chat_message_unique_send"),
        ]
        indexes = [
            models.Index(fields=["conversation", "-id"], name="chat_message_history"),
            models.Index(fields=["receiver", "is_read"], name="chat_message_unread", condition=Q(is_read=False)),
            models.Index(fields=["receiver", "id"], name="chat_message_undelivered", condition=Q(delivered_at__isnull=True)),
            # Full-text search (chat.selectors.search_messages must use the same expression).
            GinIndex(MESSAGE_SEARCH_VECTOR, name="chat_message_search"),
        ]

    def __str__(self) -> str:
        return f"Message {self.pk} {self.sender_id}->{self.receiver_id}"


class MessageRevision(models.Model):
    """The audit trail of one message: the text each edit replaced, and what a deletion removed.
    Shown in the admin only."""

    EDITED, DELETED = "edited", "deleted"
    ACTIONS = [(EDITED, "Edited"), (DELETED, "Deleted")]

    message = models.ForeignKey(ChatMessage, on_delete=models.CASCADE, related_name="revisions")
    action = models.CharField(max_length=16, choices=ACTIONS)
    previous_text = models.TextField(blank=True, default="")
    # The attachment's name, for the record: its file is removed a while after a deletion.
    previous_attachment_name = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "chat_message_revision"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Message {self.message_id} {self.action} at {self.created_at}"


class Reaction(models.Model):
    """One person's emoji on one message; a person may add several different ones."""

    message = models.ForeignKey(ChatMessage, on_delete=models.CASCADE, related_name="reactions", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "chat_reaction"
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["message", "user", "emoji"], name="chat_reaction_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} reacted {self.emoji} to {self.message_id}"


class ConversationMute(models.Model):
    """A participant's mute of a conversation: no chat notifications until `until` (null: until unmuted)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    until = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "chat_conversation_mute"
        constraints = [models.UniqueConstraint(fields=["conversation", "user"], name="chat_conversation_mute_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} muted conversation {self.conversation_id} until {self.until or 'unmuted'}"


class UserBlock(models.Model):
    """`blocker` no longer receives `blocked`'s messages, typing or presence, nor shows them theirs."""

    blocker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    blocked = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "chat_user_block"
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="chat_user_block_unique"),
            models.CheckConstraint(condition=~Q(blocker=models.F("blocked")), name="chat_user_block_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocks {self.blocked_id}"


class TypingIndicator(models.Model):
    """Last typing activity per (typist, partner); written at most once per typing TTL."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    partner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    is_typing = models.BooleanField(default=False)
    last_activity_at = models.DateTimeField()

    class Meta:
        db_table = "typing_indicator"
        constraints = [models.UniqueConstraint(fields=["user", "partner"], name="typing_indicator_unique_pair")]

    def __str__(self) -> str:
        return f"{self.user_id} typing to {self.partner_id}"
